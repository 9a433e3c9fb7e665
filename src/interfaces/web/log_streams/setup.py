"""The page a log stream's setup link opens, /setup/log-stream?token= (docs/log-streams.md;
docs/pages.md, "Log stream setup"): the org's IT admin, with no account, reads which org it
is for and adds its stream, as ``POST /log-streams/setup`` does (the same use case). The link
is the credential: the form carries it back in its address, as the Splunk HEC token is a
field of its own. A refused field is said beside it; a link that opens nothing is a 400 page."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Response, request

from application.log_streams.streams import SETUP_PATH, LogStreams
from domain.log_streams.streams import KIND_FIELDS, StreamFormat, StreamKind, shown_target
from interfaces.shared.services import services
from interfaces.web.errors import prefers_html
from interfaces.web.forms import field, form_errors
from interfaces.web.rendering import bp, page, see_other

TEMPLATE = "log_streams/setup.html"
API_PATH = "/log-streams/setup"  # the JSON API's address of the same link


def back_to(token: str) -> str:
    return SETUP_PATH + "?" + urlencode({"token": token})


def _token() -> str:
    return request.args.get("token", "")


def shown() -> dict[str, object]:
    """What the page shows of the link (400 ``invalid_token`` if it opens nothing)."""
    token = _token()
    view = services().of(LogStreams).link_view(token)
    return {
        "org_name": view.org_name,
        "expires_at": view.expires_at,
        "action": back_to(token),
        "back": back_to(token),
        "kinds": [kind.value for kind in StreamKind],
        "formats": [fmt.value for fmt in StreamFormat],
        "kind_fields": {kind.value: names for kind, names in KIND_FIELDS.items()},
    }


@bp.get(SETUP_PATH)
def log_stream_setup_page() -> Response:
    # A link that opens nothing is the error page (400): there is nothing to correct here.
    return page(TEMPLATE, 200, form={}, **shown())


def _port(typed: str) -> object:
    """The port as the API takes it: a number; anything else as typed, which it refuses."""
    return int(typed) if typed.strip().isdigit() else typed.strip()


def _body() -> dict[str, object]:
    """The form as the API's body: the kind, the format and the kind's fields only (the
    other kinds' inputs are left as typed, unread)."""
    kind, fmt = field("kind", required=False), field("format", required=False)
    body: dict[str, object] = {"kind": kind, "format": fmt}
    if kind in {k.value for k in StreamKind}:
        for name in KIND_FIELDS[StreamKind(kind)]:
            typed = field(name, required=False)
            body[name] = _port(typed) if name == "port" else typed.strip()
    return body


@bp.post(SETUP_PATH)
@form_errors(TEMPLATE, form_id="stream", shown=shown)
def add_log_stream_through_link() -> Response:
    """The stream added and the link spent: a page of its own, the https stream's secret
    shown this once."""
    streams, token = services().of(LogStreams), _token()
    view = streams.link_view(token)
    made = streams.create_through_link(token, _body())
    return page(
        "log_streams/setup_done.html",
        201,
        org_name=view.org_name,
        stream=made.stream,
        target=shown_target(made.stream),
        secret=made.secret,
    )


def api_address() -> Response | None:
    """A ``Pages.before_request`` hook: a browser's navigation to the JSON API's address of a
    link (it asks for HTML before JSON) is sent to the page; a program gets the API's answer."""
    if request.path != API_PATH or request.method not in ("GET", "HEAD") or not prefers_html():
        return None
    return see_other(back_to(_token()))
