"""A local verifier that answers as Turnstile's siteverify and reCAPTCHA Enterprise's
createAssessment do, and serves a stand-in of their widget's script, for the tests of the
challenge on signals (docs/security.md); it can also answer what is no verdict (a 429, an
HTML page, JSON of another shape), be down (5xx), and give reCAPTCHA's tokens a low score."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from tests.support.local_servers import in_thread, send_json

# What the stand-in widget hands the page: tokens with this prefix are passed (any action).
WIDGET_PREFIX = "widget-"
# The stand-in of Turnstile's api.js (render=explicit): a visible, labelled check that hands
# back a fresh token, as the real widget does once the person passes it.
WIDGET_JS = """
window.turnstile = {
  render: function (box, options) {
    var note = document.createElement("p");
    note.textContent = "Verified (stand-in)";
    box.appendChild(note);
    options.callback("WIDGET_PREFIX" + Math.random().toString(36).slice(2) + "-" + options.action);
  }
};
""".replace("WIDGET_PREFIX", WIDGET_PREFIX)


@dataclass(frozen=True)
class Instead:
    """An answer given instead of a verdict: its status, content type and body."""

    status: int
    content_type: str
    body: str


TOO_MANY = Instead(429, "application/json", '{"error": "rate limited"}')
HTML_PAGE = Instead(200, "text/html", "<!doctype html><title>Sign in</title><p>Hello")
ODD_JSON = Instead(200, "application/json", '{"ok": true}')
BAD_GATEWAY = Instead(502, "text/html", "<html><body>502 Bad Gateway</body></html>")


@dataclass
class Verifier:
    """The tokens it knows (each passed for ``hostname`` and the action it names after its
    last '-'), what it was asked, whether it is ``down`` (answers 503) or answers
    ``instead`` of a verdict, and the ``score`` its reCAPTCHA assessments give (None: no
    riskAnalysis at all)."""

    url: str = ""
    hostname: str = "127.0.0.1"
    down: bool = False
    instead: Instead | None = None
    score: float | None = 0.9
    asked: list[dict[str, object]] = field(default_factory=list)

    def judged(self, token: str) -> tuple[bool, str]:
        """Whether ``token`` is one this verifier issued, and its action."""
        return token.startswith(WIDGET_PREFIX), token.rsplit("-", 1)[-1]


def token(action: str, n: int = 0) -> str:
    """A token the verifier passes for ``action``, as the widget would hand one back."""
    return f"{WIDGET_PREFIX}{n}x-{action}"


@contextlib.contextmanager
def challenge_verifier(hostname: str = "127.0.0.1") -> Iterator[Verifier]:
    """The verifier at ``Verifier.url``: ``/turnstile`` (siteverify),
    ``/v1/projects/demo/assessments`` (createAssessment), ``/widget.js``."""
    verifier = Verifier(hostname=hostname)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = WIDGET_JS.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/javascript")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
            if verifier.down:
                send_json(self, 503, {"error": "unavailable"})
                return
            if verifier.instead is not None:
                verifier.asked.append({"kind": "instead", "path": self.path})
                body = verifier.instead.body.encode()
                self.send_response(verifier.instead.status)
                self.send_header("Content-Type", verifier.instead.content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            parts = urlsplit(self.path)
            if parts.path == "/turnstile":
                form = {k: v[0] for k, v in parse_qs(raw).items()}
                verifier.asked.append({"kind": "turnstile", **form})
                passed, action = verifier.judged(form.get("response", ""))
                if form.get("secret") != "test-secret" or not passed:
                    send_json(
                        self, 200, {"success": False, "error-codes": ["invalid-input-response"]}
                    )
                    return
                answer = {"success": True, "hostname": verifier.hostname, "action": action}
                send_json(
                    self, 200, {**answer, "challenge_ts": "2026-01-01T00:00:00Z", "error-codes": []}
                )
                return
            event = json.loads(raw).get("event", {})
            key = parse_qs(parts.query).get("key", [""])[0]
            verifier.asked.append({"kind": "recaptcha", "path": parts.path, "key": key, **event})
            if key != "test-secret":
                send_json(self, 403, {"error": {"code": 403, "status": "PERMISSION_DENIED"}})
                return
            passed, action = verifier.judged(event.get("token", ""))
            properties = {
                "valid": passed,
                "invalidReason": "INVALID_REASON_UNSPECIFIED" if passed else "MALFORMED",
                "hostname": verifier.hostname if passed else "",
                "action": action if passed else "",
            }
            assessment: dict[str, object] = {"tokenProperties": properties}
            if verifier.score is not None:
                assessment["riskAnalysis"] = {"score": verifier.score, "reasons": []}
            send_json(self, 200, assessment)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    verifier.url = f"http://127.0.0.1:{server.server_address[1]}"
    with in_thread(server):
        yield verifier
