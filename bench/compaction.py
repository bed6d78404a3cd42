"""Query time over many small files versus the same rows after compaction, in one run.

    .venv/bin/python bench/compaction.py [--runs 300] [--rows-per-run 20]

Simulates ``--runs`` scheduled ingests, each leaving one small file per partition it
touches, then times the same queries before and after ``compact`` (replaced files
removed), and prints files, bytes and the speed-up ratio.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from warehouse import connect
from warehouse.compaction import compact
from warehouse.schemas import TABLES
from warehouse.views import live_files
from warehouse.writer import write_rows

QUERIES = {
    "count by category": "select category, count(*) from articles group by 1",
    "newest 20 delistings": """select title, published_at from articles
        where category = 'delisting' order by published_at desc limit 20""",
    "versions per source": "select source, count(*) from article_versions group by 1",
}
SOURCES = ("binance", "okx", "kucoin", "bybit", "gate_announcements")
CATEGORIES = ("listing", "delisting", "maintenance", "product", "other")


def simulate(root: Path, runs: int, rows_per_run: int) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for run in range(runs):
        published = start + timedelta(hours=run * 6)
        rows = [
            {
                "article_id": f"{run}-{number}", "source": SOURCES[number % len(SOURCES)],
                "content_hash": f"h{run}-{number}", "category": CATEGORIES[number % 5],
                "title": f"Notice {run}-{number}", "body_text": "word " * 200,
                "published_at": published, "fetched_at": published,
            }
            for number in range(rows_per_run)
        ]  # fmt: skip
        write_rows(root, TABLES["articles"], rows)


def time_queries(root: Path, repeats: int = 5) -> dict[str, float]:
    connection = connect(root)
    timings = {}
    for name, query in QUERIES.items():
        samples = []
        for _ in range(repeats):
            began = time.perf_counter()
            connection.execute(query).fetchall()
            samples.append(time.perf_counter() - began)
        timings[name] = statistics.median(samples)
    return timings


def footprint(root: Path) -> tuple[int, int]:
    files = live_files(root, TABLES["articles"]).every
    return len(files), sum(path.stat().st_size for path in files)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--rows-per-run", type=int, default=20)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        simulate(root, arguments.runs, arguments.rows_per_run)
        files_before, bytes_before = footprint(root)
        before = time_queries(root)
        compact(root)
        compact(root, now=datetime.now(UTC) + timedelta(days=1))  # past the retention
        files_after, bytes_after = footprint(root)
        after = time_queries(root)
    print(f"files {files_before} -> {files_after}, bytes {bytes_before} -> {bytes_after}")
    print(f"{'query':24} {'before ms':>10} {'after ms':>10} {'speed-up':>9}")
    for name in QUERIES:
        ratio = before[name] / after[name]
        print(f"{name:24} {before[name] * 1000:10.1f} {after[name] * 1000:10.1f} {ratio:8.1f}x")


if __name__ == "__main__":
    main()
