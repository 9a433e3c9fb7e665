#!/usr/bin/env python3
"""Write the route_table.py of src/interfaces/http, web and provider: the rules of the API's
route modules, of the pages' and of the provider's pages', which the app registers before
importing those modules (docs/decisions/0440-route-modules-on-first-use.md).

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
from interfaces.provider import page_tables as provider_page_tables  # noqa: E402
from interfaces.shared.lazy_views import table_source  # noqa: E402
from interfaces.web import page_tables  # noqa: E402

HOW = (
    "the app registers these and imports a module with its first request\n"
    "(docs/decisions/0440-route-modules-on-first-use.md). Written by scripts/route_table.py;\n"
    "tests/unit/test_route_table.py checks it against the modules.\n"
)
TABLES = {
    "http": (
        "The API's rules by route module, as registering each module's blueprint makes them:",
        route_tables,
    ),
    "web": (
        "The pages' rules by page module, as registering their blueprint makes them:",
        page_tables,
    ),
    "provider": (
        "The rules of the provider's pages, as registering their blueprints makes them:",
        provider_page_tables,
    ),
}


def main() -> int:
    ruff = Path(sys.executable).parent / "ruff"
    for adapter, (what, tables) in TABLES.items():
        table = ROOT / "src" / "interfaces" / adapter / "route_table.py"
        table.write_text(table_source(f"{what}\n{HOW}", tables()))
        subprocess.run([str(ruff), "check", "--quiet", "--fix", str(table)], check=True)
        subprocess.run([str(ruff), "format", "--quiet", str(table)], check=True)
        print(f"wrote {table.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
