"""The issue-9 queries on an object store beside the same warehouse in a local folder.

    nice -n 10 .venv/bin/python -m bench.warehouse build --articles 100000 --out /tmp/wh-100k
    nice -n 10 .venv/bin/python -m bench.object_store /tmp/wh-100k

Copies the built warehouse's files into a bucket on moto's S3 server (its own process on
127.0.0.1), then times every query of ``bench.warehouse`` on both, in turns (folder, then
bucket, query by query), so that load from other work on the machine weighs on both alike.
DuckDB reads the bucket through the fsspec filesystem (no httpfs: offline), as
``exnews sql`` does. The table and the ratios go into ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

from upath import UPath

from bench.warehouse import REPEATS, queries, write_docs
from tests.s3_server import s3_server
from warehouse import connect, search
from warehouse.layout import warehouse_root
from warehouse.storage import Location

HEADING = "## Warehouse on an object store (issue 12)"
SKIPPED = ("search", "exnews.duckdb")  # local to each machine, never in the bucket


def upload(folder: Path, root: UPath) -> int:
    """Every warehouse file of ``folder`` into ``root``, as one PUT each; how many."""
    count = 0
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if path.is_file() and relative.parts[0] not in SKIPPED:
            (root / relative.as_posix()).write_bytes(path.read_bytes())
            count += 1
    return count


def side_by_side(local: Location, remote: UPath) -> dict[str, tuple[float, float]]:
    """Median ms of each query on the folder and on the bucket, measured in turns."""
    connections = {local: connect(local), remote: connect(remote)}
    timings: dict[str, tuple[float, float]] = {}
    steps = {
        **{name: (lambda root, sql=sql: connections[root].execute(sql).fetchall())
           for name, sql in queries(local).items()},
        "open the views (list files, create views)": lambda root: connect(root).close(),
        "search 'upgrade maintenance'": lambda root: search.search(
            root, "upgrade maintenance", limit=20
        ),
    }  # fmt: skip
    for name, step in steps.items():
        step(remote)  # warm: footers cached, the bucket's local index caught up
        samples: dict[Location, list[float]] = {local: [], remote: []}
        for _ in range(REPEATS):  # in turns: folder, bucket, folder, bucket, ...
            for root, kept in samples.items():
                began = time.perf_counter()
                step(root)
                kept.append((time.perf_counter() - began) * 1000)
        timings[name] = (statistics.median(samples[local]), statistics.median(samples[remote]))
        print(f"{name}: {timings[name][0]:,.1f} ms folder, {timings[name][1]:,.1f} ms s3://")
    return timings


def report(timings: dict[str, tuple[float, float]], articles: int, files: int, load: float) -> str:
    ratios = [remote / local for local, remote in timings.values() if local > 0]
    lines = [
        f"`python -m bench.object_store DIR` ({datetime.now(UTC):%Y-%m-%d}, 2 cores shared with"
        f" other work, load average {load:.1f} at the start): {articles:,} articles,"
        f" {files} files, compacted, the same files in a"
        " local folder and in a bucket on moto's S3 server on 127.0.0.1; DuckDB reads the"
        " bucket through the fsspec filesystem (httpfs is not installed offline). Median of"
        f" {REPEATS}, measured in turns. A search on a bucket first catches the local index"
        " up with it (a listing of `articles` and its manifest): that is most of its time.",
        "",
        "| query | folder ms | s3:// ms | ratio |",
        "|---|---:|---:|---:|",
    ]
    lines += [
        f"| {name} | {local:,.1f} | {remote:,.1f} | {remote / local:,.1f}× |"
        for name, (local, remote) in timings.items()
    ]
    lines.append(
        f"\nMedian ratio s3:// / folder over the rows above: {statistics.median(ratios):,.1f}×."
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", type=Path, help="a warehouse built by bench.warehouse build")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/exnews-bench-cache"))
    arguments = parser.parse_args()
    local = warehouse_root(arguments.folder)
    with s3_server() as server:
        os.environ.update({**server.environment, "EXNEWS_CACHE": str(arguments.cache)})
        remote = warehouse_root(f"s3://{server.bucket()}/warehouse")
        files = upload(arguments.folder, remote)
        articles = connect(local).execute("select count(*) from articles").fetchone()[0]
        load = os.getloadavg()[0]
        text = report(side_by_side(local, remote), articles, files, load)
    write_docs(text, HEADING)
    print(text)


if __name__ == "__main__":
    main()
