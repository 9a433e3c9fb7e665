"""The Log streams section of an organization's page (docs/log-streams.md): its owners see
each stream with its state and its last delivery, as ``GET /orgs/{org}/log-streams``'s use
case reads them. The unit's pages hand ``STREAMS`` to the org's page
(bootstrap/log_streams.py, ``ORG_SECTIONS``)."""

from __future__ import annotations

from flask_babel import lazy_gettext

from application.log_streams.streams import LogStreams, StreamQuery
from application.signin.authentication import Actor
from domain.orgs.roles import Permission
from interfaces.shared.services import services
from interfaces.web.orgs.org import OrgSection


def _shown(actor: Actor, org: str) -> dict[str, object]:
    return {"streams": services().of(LogStreams).streams(StreamQuery(actor, org))}


STREAMS = OrgSection(
    "log-streams",
    "log_streams/log_streams.html",
    _shown,
    lazy_gettext("Log streams"),
    seen_by=Permission.MANAGE_OWNERS,
)
