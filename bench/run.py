"""`make bench`: run every benchmark script in bench/ in turn (results in bench/results/).

Each script starts what it needs (gunicorn on the emulators) and writes its own JSON file.
The full suite with floors and ratios is the benchmark issue's work; today there is one.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    scripts = sorted(p for p in HERE.glob("*.py") if p.name != "run.py")
    failed = 0
    for script in scripts:
        print(f"== {script.name}", flush=True)
        failed += subprocess.call([sys.executable, str(script)], cwd=HERE.parent) != 0
    print(f"== {len(scripts) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
