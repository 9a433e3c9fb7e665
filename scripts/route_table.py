#!/usr/bin/env python3
"""Write src/interfaces/http/route_table.py: the rules of the API's route modules, which the
app registers before importing them (docs/decisions/0440-route-modules-on-first-use.md).

    .venv/bin/python scripts/route_table.py

Run it after adding, removing or changing a route; tests/unit/test_route_table.py fails until
the table matches the modules.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from interfaces.http.app import route_tables  # noqa: E402
from interfaces.shared.lazy_views import table_source  # noqa: E402

TABLE = ROOT / "src" / "interfaces" / "http" / "route_table.py"
DOC = (
    "The API's rules by route module, as registering each module's blueprint makes them:\n"
    "the app registers these and imports a module with its first request\n"
    "(docs/decisions/0440-route-modules-on-first-use.md). Written by scripts/route_table.py;\n"
    "tests/unit/test_route_table.py checks it against the modules.\n"
)


def main() -> int:
    TABLE.write_text(table_source(DOC, route_tables()))
    ruff = Path(sys.executable).parent / "ruff"
    subprocess.run([str(ruff), "format", "--quiet", str(TABLE)], check=True)
    print(f"wrote {TABLE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
