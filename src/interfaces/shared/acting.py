"""Who acts in the request being served, where someone other than the person does: the
audit trail's "who acted for whom" (a session of support access, docs/support-access.md;
docs/decisions/0765-support-access-is-a-unit.md). Authentication notes it as it builds the
request's actor; the audit trail names the acting admin as the actor of each event."""

from __future__ import annotations

from flask import g, has_request_context, request

_ACTING = "firegate_acting"  # in g: (person, admin) of this request's support access


class RequestActing:
    """The request's support access, as its authentication found it (``ActingNote``), read
    by the audit trail, which names the admin as the actor of each event the request causes
    (``WithRequestOrigin.acting``)."""

    def acting(self, person_id: str, admin_id: str) -> None:
        if has_request_context():
            setattr(g, _ACTING, (person_id, admin_id))

    def current(self) -> tuple[str, str] | None:
        if not has_request_context():
            return None
        found: tuple[str, str] | None = g.get(_ACTING)
        return found


REQUEST_ACTING = RequestActing()


def route_here() -> tuple[str, str] | None:
    """The route being served, as (method, rule as the route declares it): what the session
    guards lent to sign-in read where the request's actor is built (``Authenticate.route``;
    None: no route matched)."""
    rule = request.url_rule
    return (request.method, rule.rule) if rule is not None else None
