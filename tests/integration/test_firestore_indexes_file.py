"""firestore.indexes.json passes the checks firebase-tools makes of it before a deploy
(``firebase deploy --only firestore:indexes``: its ``FirestoreApi.validateSpec``), and the same
checks refuse a broken one. The emulator does not read the file: this is where a typo in it,
or a TTL flag of the wrong type, is found before a deploy."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support.emulators import load_emulators_module

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
# firebase-tools' own module, as its deploy uses it; a release that moves it fails here, loudly.
VALIDATE = """
const {FirestoreApi} = require(process.argv[1] + "/lib/firestore/api");
let text = "";
process.stdin.on("data", (chunk) => { text += chunk; });
process.stdin.on("end", () => {
  const api = new FirestoreApi();
  try {
    const spec = api.upgradeOldSpec(JSON.parse(text));
    api.validateSpec(spec);
    const counts = {indexes: spec.indexes.length, overrides: spec.fieldOverrides.length};
    console.log(JSON.stringify(counts));
  } catch (error) {
    console.log(JSON.stringify({refused: error.message}));
  }
});
"""


def validated(spec: dict[str, Any]) -> dict[str, Any]:
    binary = load_emulators_module().ensure_firebase_tools(ROOT)
    package = binary.parent.parent / "firebase-tools"  # .tools/node_modules/.bin/firebase
    node = shutil.which("node")
    assert node is not None
    answer = subprocess.run(
        [node, "-e", VALIDATE, str(package)],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    found: dict[str, Any] = json.loads(answer.stdout)
    return found


def test_firebase_tools_accepts_the_indexes_file() -> None:
    spec = json.loads((ROOT / "firestore.indexes.json").read_text(encoding="utf-8"))
    assert validated(spec) == {
        "indexes": len(spec["indexes"]),
        "overrides": len(spec["fieldOverrides"]),
    }


def test_and_refuses_a_broken_one() -> None:
    spec = json.loads((ROOT / "firestore.indexes.json").read_text(encoding="utf-8"))
    spec["fieldOverrides"][0]["ttl"] = "yes"
    assert validated(spec) == {"refused": 'Property "ttl" must be of type boolean'}
