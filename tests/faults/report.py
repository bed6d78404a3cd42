"""Print the fault ledger as one table: ``python -m tests.faults.report [LEDGER]``.

Rows of the same fault (a test repeated, or run again) are added up, so the table says
how often each fault was injected in all and what it left.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from tests.faults.ledger import LEDGER

COLUMNS = ("injected", "expected", "found", "duplicates", "unreadable", "quarantined")


def summarise(lines: list[str]) -> dict[str, dict[str, object]]:
    totals: dict[str, dict[str, object]] = {}
    for line in lines:
        row = json.loads(line)
        total = totals.setdefault(row["fault"], {column: 0 for column in COLUMNS} | {"outcome": ""})
        for column in COLUMNS:
            total[column] = int(total[column]) + int(row[column])
        total["outcome"] = row["outcome"]
    return totals


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    ledger = Path(arguments[0]) if arguments else LEDGER
    if not ledger.exists():
        print(f"no fault ledger at {ledger}: run pytest tests/faults first", file=sys.stderr)
        return 1
    totals = summarise(ledger.read_text(encoding="utf-8").splitlines())
    table = Table("fault", *COLUMNS, "lost", "outcome", title="exnews fault injection")
    for fault, total in totals.items():
        lost = int(total["expected"]) - int(total["found"])
        table.add_row(fault, *(str(total[c]) for c in COLUMNS), str(lost), str(total["outcome"]))
    Console(width=200).print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
