"""What a fault left behind, measured the same way for every fault test.

Each fault test injects its fault, then calls :func:`audit` on the warehouse and
:func:`record` with what it expected. The rows go to a JSON-lines ledger
(``tests/output/faults.jsonl``, or ``EXNEWS_FAULT_LEDGER``) that
``python -m tests.faults.report`` prints as the table of issue 8.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import pyarrow.parquet as pq

from warehouse.views import connect

LEDGER = Path(__file__).resolve().parents[1] / "output" / "faults.jsonl"


@dataclass(frozen=True)
class Audit:
    """The warehouse as a reader sees it after a fault."""

    articles: int
    duplicates: int
    unreadable_files: int
    quarantined: int
    temporary_files: int


def _unreadable(root: Path) -> int:
    bad = 0
    for path in root.rglob("*.parquet"):
        try:
            with path.open("rb") as handle:  # a folder's file or an object store's
                pq.read_metadata(handle)
        except Exception:  # any failure to read is what we count
            bad += 1
    return bad


def audit(root: Path) -> Audit:
    """Visible rows, visible duplicates (rows the views should have hidden), bad files."""
    connection = connect(root)
    # Beyond the views' own keys: one item of a feed must never land under two ids.
    articles, distinct, distinct_items = connection.execute(
        "select count(*), count(distinct article_id),"
        " count(distinct (source, coalesce(native_id, url), language)) from articles"
    ).fetchone()
    versions, distinct_versions = connection.execute(
        "select count(*), count(distinct (article_id, content_hash)) from article_versions"
    ).fetchone()
    quarantined = connection.execute("select count(*) from quarantine").fetchone()[0]
    connection.close()
    return Audit(
        articles=articles,
        duplicates=(articles - distinct)
        + (articles - distinct_items)
        + (versions - distinct_versions),
        unreadable_files=_unreadable(root),
        quarantined=quarantined,
        temporary_files=sum(1 for _ in root.rglob("*.tmp")),
    )


@dataclass(frozen=True)
class FaultRow:
    fault: str
    injected: int
    expected: int
    found: int
    duplicates: int
    unreadable: int
    quarantined: int
    outcome: str

    @property
    def clean(self) -> bool:
        return self.found == self.expected and self.duplicates == 0 and self.unreadable == 0


def record(fault: str, injected: int, expected: int, seen: Audit, outcome: str) -> FaultRow:
    """Append one fault's figures to the ledger and return them for the test to assert."""
    row = FaultRow(
        fault=fault,
        injected=injected,
        expected=expected,
        found=seen.articles,
        duplicates=seen.duplicates,
        unreadable=seen.unreadable_files,
        quarantined=seen.quarantined,
        outcome=outcome,
    )
    ledger = Path(os.environ.get("EXNEWS_FAULT_LEDGER", LEDGER))
    ledger.parent.mkdir(parents=True, exist_ok=True)
    with ledger.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(asdict(row)) + "\n")
    return row
