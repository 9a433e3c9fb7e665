"""The security rules `make run` holds the Firestore emulator's clients to
(docs/configuration.md#local-emulators): which file, its first load, and each change of it
loaded while the run goes on; against a stand-in of the emulator's rules endpoint, which
refuses a file that does not compile as the emulator does."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from scripts.emulators import (
    CLOSED_RULES,
    DEFAULT_RULES,
    REPO_ROOT,
    RULES_VARIABLE,
    EmulatorError,
    EmulatorSet,
    RulesWatch,
    local_rules_file,
)

pytestmark = pytest.mark.unit

GOOD = "rules_version = '2';\nservice cloud.firestore {}\n"
CHANGED = "rules_version = '2';\nservice cloud.firestore { /* changed */ }\n"
BROKEN = "rules_version = '2';\nservice cloud.firestore { BROKEN\n"


class RulesEndpoint(ThreadingHTTPServer):
    """``PUT /emulator/v1/projects/{project}:securityRules``: each body's rules kept in
    ``loaded``; a file with BROKEN in it answered 400, as the emulator answers one that does
    not compile."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.loaded: list[tuple[str, str, str]] = []  # (path, file name, content)


class _Handler(BaseHTTPRequestHandler):
    server: RulesEndpoint

    def do_PUT(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        (file,) = body["rules"]["files"]
        self.server.loaded.append((self.path, file["name"], file["content"]))
        if "BROKEN" in file["content"]:
            answer = {"error": {"code": 400, "message": "Error compiling rules:\nL2:27 BROKEN"}}
            self._answer(400, answer)
        else:
            self._answer(200, {})

    def _answer(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def endpoint() -> Iterator[RulesEndpoint]:
    server = RulesEndpoint()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def stand_in(endpoint: RulesEndpoint, tmp_path: Path) -> EmulatorSet:
    """An emulator set whose Firestore is the stand-in endpoint (not named ``emulators``: a
    test asking for that fixture gets the real emulators started for it)."""
    return EmulatorSet(services=("firestore",), firestore_port=endpoint.server_port, root=tmp_path)


def write(path: Path, text: str) -> None:
    """The file as an editor leaves it: new content, a modification time of its own."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text, encoding="utf-8")
    after = max(path.stat().st_mtime_ns, before + 1_000_000)
    os.utime(path, ns=(after, after))


def test_make_run_loads_the_rules_firebase_json_deploys_unless_told_otherwise(
    tmp_path: Path,
) -> None:
    assert local_rules_file({}) == REPO_ROOT / "firestore.rules"  # the project's, shipped
    assert local_rules_file({}, tmp_path) == tmp_path / "firestore.rules"  # no firebase.json
    (tmp_path / "firebase.json").write_text('{"firestore": {"rules": "rules/app.rules"}}')
    assert local_rules_file({}, tmp_path) == tmp_path / "rules" / "app.rules"
    assert local_rules_file({"EMULATOR_RULES": ""}, tmp_path) == tmp_path / "rules" / "app.rules"
    assert local_rules_file({"EMULATOR_RULES": "mine.rules"}, tmp_path) == tmp_path / "mine.rules"
    elsewhere = tmp_path.parent / "elsewhere.rules"
    assert local_rules_file({"EMULATOR_RULES": str(elsewhere)}, tmp_path) == elsewhere
    for off in ("off", "OFF", "none", "false"):
        assert local_rules_file({"EMULATOR_RULES": off}, tmp_path) is None


def test_the_rules_are_loaded_at_the_start_and_each_change_once_it_settles(
    stand_in: EmulatorSet, endpoint: RulesEndpoint, tmp_path: Path
) -> None:
    rules = tmp_path / "firestore.rules"
    write(rules, GOOD)
    watch = RulesWatch(stand_in, rules)
    said = watch.load()
    assert "loaded into the Firestore emulator" in said and "EMULATOR_RULES=off" in said
    assert endpoint.loaded == [
        ("/emulator/v1/projects/demo-firegate:securityRules", "firestore.rules", GOOD)
    ]
    assert watch.poll() is None and watch.poll() is None  # unchanged: nothing sent
    assert len(endpoint.loaded) == 1

    write(rules, CHANGED)
    assert watch.poll() is None  # changed since the last look: it may be half written
    assert len(endpoint.loaded) == 1
    said_again = watch.poll()
    assert said_again is not None and "changed: loaded" in said_again
    assert [content for _, _, content in endpoint.loaded] == [GOOD, CHANGED]
    assert watch.poll() is None
    assert len(endpoint.loaded) == 2


def test_rules_that_do_not_compile_at_the_start_close_the_emulator_until_fixed(
    stand_in: EmulatorSet, endpoint: RulesEndpoint, tmp_path: Path
) -> None:
    rules = tmp_path / "firestore.rules"
    write(rules, BROKEN)
    said = RulesWatch(stand_in, rules).load()
    # The emulator, which would let everyone in without rules, refuses every client instead.
    assert said.startswith("warning:") and "L2:27 BROKEN" in said
    assert "refuses every client" in said
    assert [content for _, _, content in endpoint.loaded] == [BROKEN, CLOSED_RULES]


def test_a_change_that_does_not_compile_keeps_the_rules_the_emulator_had(
    stand_in: EmulatorSet, endpoint: RulesEndpoint, tmp_path: Path
) -> None:
    rules = tmp_path / "firestore.rules"
    write(rules, GOOD)
    watch = RulesWatch(stand_in, rules)
    watch.load()
    write(rules, BROKEN)
    watch.poll()
    said = watch.poll()
    assert said is not None and "L2:27 BROKEN" in said and "keeps the rules it had" in said
    assert [content for _, _, content in endpoint.loaded] == [GOOD, BROKEN]  # never closed
    assert watch.poll() is None  # not sent again until it changes

    write(rules, GOOD)
    watch.poll()
    fixed = watch.poll()
    assert fixed is not None and "changed: loaded" in fixed
    rules.unlink()
    watch.poll()
    gone = watch.poll()
    assert gone is not None and "cannot be read" in gone and "keeps the rules it had" in gone
    assert [content for _, _, content in endpoint.loaded] == [GOOD, BROKEN, GOOD]


def test_an_emulator_that_does_not_answer_stops_the_start(tmp_path: Path) -> None:
    rules = tmp_path / "firestore.rules"
    write(rules, GOOD)
    with ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler) as closed:
        port = closed.server_port  # bound, then closed: nothing listens there
    nowhere = EmulatorSet(services=("firestore",), firestore_port=port, root=tmp_path)
    with pytest.raises(EmulatorError, match="unreachable"):
        RulesWatch(nowhere, rules).load()


def test_the_firebase_recipe_says_what_make_run_does_with_the_rules() -> None:
    """The recipe's "Locally" says that ``make run`` loads the rules and each change of them,
    and how to turn that off; loading them by hand is for the tests' emulators alone."""
    recipe = (REPO_ROOT / "docs" / "recipes" / "firebase-client.md").read_text(encoding="utf-8")
    locally = recipe.partition("## Locally")[2].partition("\n## ")[0]
    assert RULES_VARIABLE in locally and f"`{DEFAULT_RULES}`" in locally
    assert "0512-make-run-loads-the-rules.md" in locally
    by_hand = locally.partition("```bash")[0].rstrip().rpartition("\n\n")[2]
    assert "scripts/emulators.py start" in by_hand and "make run" not in by_hand
