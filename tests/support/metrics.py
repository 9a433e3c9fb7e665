"""The metrics as Prometheus reads them: the exposition's samples, the queries the docs
advise, and Prometheus's own query API."""

from __future__ import annotations

import re
from pathlib import Path

import requests
from flask.testing import FlaskClient

from tests.support.api import bearer

TOKEN = "m" * 40
METRIC_LINE = re.compile(r"^(\w+)(\{[^}]*\})? (\S+)$")
LABEL = re.compile(r'(\w+)="([^"]*)"')


def samples(text: str) -> dict[str, float]:
    """Each sample of the exposition by its name and labels, these in the order of their
    names (``name{a="1",b="2"}``)."""
    found: dict[str, float] = {}
    for line in text.splitlines():
        match = METRIC_LINE.match(line)
        if match:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(LABEL.findall(match[2] or "")))
            found[match[1] + (f"{{{labels}}}" if labels else "")] = float(match[3])
    return found


def scrape(client: FlaskClient) -> dict[str, float]:
    response = client.get("/metrics", headers=bearer(TOKEN))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.content_type.startswith("text/plain; version=0.0.4")
    return samples(response.get_data(as_text=True))


OPERATIONS = Path(__file__).resolve().parents[2] / "docs" / "operations.md"


def watch_queries() -> list[str]:
    """The PromQL of each row of docs/operations.md's "What to watch" table."""
    section = OPERATIONS.read_text().split("### What to watch", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and "`" in line]
    return [row.split("|")[2].strip().strip("`") for row in rows]


def metrics_table() -> dict[str, tuple[set[str], str]]:
    """docs/operations.md's table of metrics: each metric's label names (the words in
    backquotes of its labels column, outside the parentheses that give their values) and its
    "what" column, by its name."""
    section = OPERATIONS.read_text().split("\n## Metrics", 1)[1].split("\n### ", 1)[0]
    found: dict[str, tuple[set[str], str]] = {}
    for row in section.splitlines():
        if row.startswith("| `firegate_"):
            name, labels, what = (cell.strip() for cell in row.strip().strip("|").split("|"))
            assert name.strip("`") not in found, f"{name} has two rows"
            found[name.strip("`")] = (set(QUOTED.findall(ASIDE.sub("", labels))), what)
    return found


QUOTED = re.compile(r"`([^`]+)`")
ASIDE = re.compile(r"\([^)]*\)")

SIGNINS = 'sum(firegate_signins_total{method="password",outcome="succeeded"})'


def query(prometheus: str, promql: str) -> float | None:
    answer = requests.get(prometheus + "/api/v1/query", params={"query": promql}, timeout=5)
    result = answer.json()["data"]["result"]
    return float(result[0]["value"][1]) if result else None
