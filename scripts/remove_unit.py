#!/usr/bin/env python3
"""Take a unit out on a copy of the tree, and show the rest stands (docs/contributing.md,
"Units"): delete every module or folder named by the unit in each layer of ``src/``, its
``src/bootstrap/<unit>.py``, its line of ``src/bootstrap/units.py`` and its tests
(``tests/unit/<unit>/``, ``tests/e2e/<unit>/``); then, in the copy, run ruff, mypy --strict,
the import contracts and the unit tests (told what was taken out, read from the whole tree
first: its paths, routes, settings' variables, Firestore collections and hook kinds, which
the docs and the index configuration may still name; tests/support/taken_out.py; its
pages' and mails' strings are in its own catalogue, deleted with its folders), and build
the app to check that every route the unit served answers 404 and /healthz 200.

    .venv/bin/python scripts/remove_unit.py tasks [--keep] [--workers 2]

Prints what it deleted and each step's time; exits non-zero at the first step that fails.
The copy is made of the files git knows (tracked and untracked, not ignored) beside the
project's own venv; ``--keep`` leaves it for a look.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from units_contract import unit_names

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("domain", "application", "infrastructure", "interfaces")
UNITS_MODULE = Path("src/bootstrap/units.py")
CHECK_ROUTES = """
import sys
from tests.support.app import World

# each route as METHOD:/path; its path may stay another route's (GET /users beside the
# tasks API's POST /users): gone is a 404, or a 405 for that method
routes = [route.split(":", 1) for route in sys.argv[1:]]
client = World().client
assert client.get("/healthz").status_code == 200
served = [(m, path, client.open(path, method=m).status_code) for m, path in routes]
left = [(m, path, status) for m, path, status in served if status not in (404, 405)]
assert not left, f"still served: {left}"
print(f"{len(routes)} routes of the unit answer 404 or 405, /healthz 200")
"""
FOOTPRINT = """
import json
import re
import sys
from flask import Flask
from bootstrap.units import _unit
from domain.hooks.kinds import HOOK_KINDS
from domain.slots import filled
from interfaces.http.converters import CONVERTERS
from tests.support.firestore_code import read_adapters

name, paths = sys.argv[1], sys.argv[2:]
app = Flask("unit")
app.url_map.converters.update(CONVERTERS)  # the API's path converters (user_id, ...)
unit = _unit(name)
for blueprint in (*unit.api(), *unit.compat_api()):
    app.register_blueprint(blueprint)
rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]
reading = read_adapters()
def mine(sites):
    return any(site.path == p or site.path.startswith(p + "/") for site in sites for p in paths)
print(json.dumps({
    "rules": sorted({rule.rule for rule in rules}),
    "routes": sorted(
        (method, re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\\1}", rule.rule))
        for rule in rules
        for method in rule.methods - {"HEAD", "OPTIONS"}
    ),
    "variables": sorted(f.upper() for group in unit.settings for f in group.model_fields),
    "hook_kinds": sorted(kind.name for kind in filled((unit,), HOOK_KINDS)),
    "collections": sorted(
        {query.collection for query, sites in reading.queries.items() if mine(sites)}
        | {written.collection for written, sites in reading.writes.items() if mine(sites)}
    ),
}))
"""


# What the service serves and which of the two-region recipe's sweeps it runs, built on the
# fakes with the units UNITS_OFF leaves out (argv): run with and without the unit, the
# difference is what the unit adds at run time (its pages' routes beside its API's, its sweeps).
SERVES = """
import base64
import json
import logging
import sys
import tomllib
from application.jobs import SWEEP, JobPush, encode_job
from application.ports import Job
from tests.support.app import World

world = World(units_off=sys.argv[1:])
rules = sorted(
    {(m, r.rule) for r in world.app.url_map.iter_rules() if r.endpoint != "static"
     for m in (r.methods or set()) - {"HEAD", "OPTIONS"}}
)
with open("deploy/two-regions.toml", "rb") as recipe:
    names = tomllib.load(recipe)["scheduler"]["sweeps"]
unknown = []
class Dropped(logging.Handler):
    def emit(self, record):
        if "unknown; job dropped" in record.getMessage():
            unknown.append(record.args[0])
logging.getLogger("firegate.jobs").addHandler(Dropped())
for name in names:
    data = base64.b64encode(encode_job(Job(kind=SWEEP, subject=name))).decode()
    world.services.platform.jobs.receive_push(JobPush(data=data))
print(json.dumps({"rules": rules, "sweeps": sorted(set(names) - set(unknown))}))
"""


def serves(python: str, units_off: Sequence[str]) -> dict[str, Any]:
    """SERVES's answer in a process of its own (the pages' parts are a process's)."""
    said = subprocess.run(
        [python, "-c", SERVES, *units_off],
        cwd=ROOT,
        env={"PYTHONPATH": "src:.", "DOTENV_FILE": "off"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found: dict[str, Any] = json.loads(said.strip().splitlines()[-1])  # its last line
    return found


def unit_paths(root: Path, name: str) -> list[Path]:
    """Every path of the unit: modules and folders named by it in the layers, its bootstrap
    module, its tests, and the tests of another unit that need it too
    (``tests/unit/<other>/with_<unit>/``)."""
    found: list[Path] = []
    for layer in LAYERS:
        for path in sorted((root / "src" / layer).rglob(f"{name}*")):
            named = path.name == name if path.is_dir() else path.name == f"{name}.py"
            if named and not any(parent in found for parent in path.parents):
                found.append(path)
    for extra in (f"src/bootstrap/{name}.py", f"tests/unit/{name}", f"tests/e2e/{name}"):
        if (root / extra).exists():
            found.append(root / extra)
    # tests of another unit that need this one too go with either
    # (docs/decisions/0815-a-test-of-two-units-goes-with-either.md)
    for kind in ("unit", "e2e"):
        found.extend(sorted((root / "tests" / kind).glob(f"*/with_{name}")))
    return found


def copy_tree(into: Path) -> None:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for raw in listed:
        if not raw:
            continue
        relative = Path(raw.decode())
        source = ROOT / relative
        if source.is_file():
            target = into / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    (into / ".venv").symlink_to(ROOT / ".venv")
    if (ROOT / ".mypy_cache").is_dir():  # mypy then checks only what changed
        shutil.copytree(ROOT / ".mypy_cache", into / ".mypy_cache", symlinks=True)


def take_out(copy: Path, name: str) -> list[Path]:
    paths = unit_paths(copy, name)
    for path in paths:
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()
    units_file = copy / UNITS_MODULE
    lines = units_file.read_text(encoding="utf-8").splitlines(keepends=True)
    line = re.compile(rf'^\s*"{re.escape(name)}",\s*$')
    kept = [text for text in lines if not line.match(text)]
    if len(kept) != len(lines) - 1:
        raise SystemExit(f"{UNITS_MODULE} has no line of its own for {name!r}")
    units_file.write_text("".join(kept), encoding="utf-8")
    return paths


def step(title: str, command: list[str], cwd: Path, **env: str) -> None:
    """Run ``command`` in the copy (``src`` and ``scripts`` on the path, as the Makefile's)."""
    began = time.monotonic()
    print(f"== {title}: {' '.join(command)}", flush=True)
    environment = {**os.environ, "PYTHONPATH": "src:scripts", **env}
    result = subprocess.run(command, cwd=cwd, env=environment, check=False)
    took = time.monotonic() - began
    if result.returncode != 0:
        print(f"== {title}: FAILED after {took:.0f} s", flush=True)
        raise SystemExit(result.returncode)
    print(f"== {title}: passed in {took:.0f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("unit")
    parser.add_argument("--keep", action="store_true", help="leave the copy")
    parser.add_argument("--workers", default="2", help="the unit tests' workers")
    args = parser.parse_args()
    name: str = args.unit
    if name not in unit_names(ROOT / UNITS_MODULE):
        raise SystemExit(f"{name!r} is no unit: {', '.join(unit_names(ROOT / UNITS_MODULE))}")
    python = str(ROOT / ".venv" / "bin" / "python")
    # What the unit adds, read from the whole tree: the tests of the docs and of the index
    # configuration leave exactly this aside in the copy (tests/support/taken_out.py).
    own = [str(path.relative_to(ROOT)) for path in unit_paths(ROOT, name)]
    footprint = json.loads(
        subprocess.run(
            [python, "-c", FOOTPRINT, name, *own],
            cwd=ROOT,
            env={"PYTHONPATH": "src:."},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    paths = [f"{m}:{re.sub(r'[{][^}]+[}]', 'x', path)}" for m, path in footprint["routes"]]
    every, others = serves(python, []), serves(python, [name])
    footprint["rules"] = sorted(
        {tuple(r) for r in every["rules"]} - {tuple(r) for r in others["rules"]}
    )
    footprint["sweeps"] = sorted(set(every["sweeps"]) - set(others["sweeps"]))
    taken_out = json.dumps({**footprint, "paths": own})
    began = time.monotonic()
    copy = Path(tempfile.mkdtemp(prefix=f"without-{name}-"))
    try:
        copy_tree(copy)
        deleted = take_out(copy, name)
        print(f"== {name}: deleted {len(deleted)} paths and its line of {UNITS_MODULE}")
        for path in deleted:
            print(f"   {path.relative_to(copy)}")
        # make lint's own commands (Makefile, lint-types, lint-rest)
        step("ruff", [python, "-m", "ruff", "check", "."], copy)
        mypy = [python, "-m", "mypy", "--strict", "--cache-dir", ".mypy_cache/all"]
        step("mypy --strict src tests", [*mypy, "src", "tests"], copy)
        step("mypy --strict scripts", [*mypy, "scripts"], copy, MYPYPATH="scripts")
        step("import contracts", [str(ROOT / ".venv" / "bin" / "lint-imports")], copy)
        pytest = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", args.workers]
        unit_tests = [*pytest, "--dist", "loadfile", "tests/unit"]
        step("unit tests", unit_tests, copy, TAKEN_OUT=taken_out)
        step("the app without it", [python, "-c", CHECK_ROUTES, *paths], copy)
        print(f"== {name} taken out: all green in {time.monotonic() - began:.0f} s")
    finally:
        if args.keep:
            print(f"the copy: {copy}")
        else:
            shutil.rmtree(copy, ignore_errors=True)


if __name__ == "__main__":
    main()
