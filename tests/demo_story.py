"""What ``make demo`` landed, told as a story: every fault the fixtures show is on purpose.

Each source's ``expected.json`` lists the pages its fixtures break deliberately (a 404, a
bot challenge, a changed layout) and why. ``python -m tests.demo_story --warehouse DIR``
prints the articles per source, then each quarantine row beside its reason, so a newcomer
sees the pipeline survive each fault rather than a wall of warnings.
"""

from __future__ import annotations

import argparse
import json
import sys
from functools import cache
from pathlib import Path

from rich.console import Console
from rich.table import Table

from warehouse import connect

FIXTURES = Path(__file__).parent / "fixtures"


@cache
def _faults(source: str) -> tuple[tuple[str, str], ...]:
    path = FIXTURES / source / "expected.json"
    if not path.exists():
        return ()
    entries = json.loads(path.read_text()).get("faults_on_purpose", [])
    return tuple((entry["url"], entry["why"]) for entry in entries)


def why_quarantined(source: str, url: str | None) -> str | None:
    """The fixture's reason for breaking this page, or None when nobody meant it."""
    return next((why for part, why in _faults(source) if url and part in url), None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--warehouse", type=Path, required=True)
    arguments = parser.parse_args(argv)
    connection = connect(arguments.warehouse)
    console = Console(width=None if sys.stdout.isatty() else 160)
    landed = connection.execute(
        "select source, count(*), count(body_text) from articles group by all order by 1"
    ).fetchall()
    table = Table("source", "articles", "with body", title="What landed")
    for source, articles, with_body in landed:
        table.add_row(source, str(articles), str(with_body))
    console.print(table)
    rows = connection.execute(
        "select source, stage, url, error from quarantine order by source, stage"
    ).fetchall()
    faults = Table("source", "stage", "what happened", "why the fixture does it", title=(
        "Quarantined on purpose: each fixture breaks a page or two to show the run going on"
    ))  # fmt: skip
    unexplained = 0
    for source, stage, url, error in rows:
        why = why_quarantined(source, url)
        unexplained += why is None
        faults.add_row(source, stage, error, why or "[red]not on purpose: look at it[/red]")
    console.print(faults)
    total = sum(articles for _, articles, _ in landed)
    console.print(
        f"[green]{total} articles from {len(landed)} sources landed[/green]; "
        f"{len(rows) - unexplained} pages were quarantined on purpose and the runs went on "
        "around them. `make demo` again lands nothing new."
    )
    if unexplained:
        console.print(f"[red]{unexplained} quarantine row(s) no fixture explains[/red]")
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
