"""A first and a no-op ``exnews ingest`` of every source against the fixture server, as
``make demo`` runs it (same environment): wall time, CPU time of the whole process tree,
and per source its requests and when its run started and ended (how the runs overlap).

    python -m bench.noop_ingest                          # this checkout
    python -m bench.noop_ingest --code /tmp/exnews-old   # another checkout (git worktree add)

CPU seconds are the figure to compare on a shared machine: wall time there says more about
the neighbours than about the code. This process is the tree's subreaper, so the crawls'
fork server and Prefect's temporary server, which outlive their parent, are counted too.
Run two checkouts one after the other and compare the ratios.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.fixture_server import load_routes, serve
from warehouse import connect

PR_SET_CHILD_SUBREAPER = 36  # linux/prctl.h
ROOT = Path(__file__).resolve().parents[1]


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def ingest(code: Path, warehouse: Path, environment: dict[str, str]) -> tuple[float, float]:
    """One ``exnews ingest`` of ``code``: its wall and CPU seconds, orphans reaped."""
    before, started = cpu_seconds(), time.monotonic()
    command = [sys.executable, "-m", "flows", "ingest", "--warehouse", str(warehouse)]
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    subprocess.run(command, cwd=code, env=environment, check=True, **quiet)
    wall = time.monotonic() - started
    while True:
        try:
            os.wait()
        except ChildProcessError:
            break
    return wall, cpu_seconds() - before


def last_runs(warehouse: Path) -> list[tuple[str, int, float, float]]:
    """Each source's latest run: requests, and its start and end in seconds after the
    first source's start (how the sources' runs overlap)."""
    return (
        connect(warehouse)
        .execute(
            "with last as (select * from runs qualify row_number() over "
            "(partition by source order by started_at desc) = 1) "
            "select source, requests, "
            "epoch(started_at - min(started_at) over ()), "
            "epoch(finished_at - min(started_at) over ()) from last order by source"
        )
        .fetchall()
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--code", type=Path, default=ROOT, help="checkout whose exnews runs")
    arguments = parser.parse_args()
    ctypes.CDLL(None).prctl(PR_SET_CHILD_SUBREAPER, 1)
    code = arguments.code.resolve()
    with serve(load_routes()) as server, tempfile.TemporaryDirectory() as scratch:
        demo = {"EXNEWS_CONNECT_TO": f"*={server.base_url}", "EXNEWS_DOWNLOAD_DELAY": "0"}
        # The hosts' shared slots and robots.txt copies start empty, as on a new machine.
        hosts = {"EXNEWS_HOSTS_DIR": str(Path(scratch) / "hosts")}
        environment = {**os.environ, **demo, **hosts, "PYTHONPATH": str(code)}
        warehouse = Path(scratch) / "warehouse"
        load = os.getloadavg()[0]
        for name in ("first", "no-op"):
            wall, cpu = ingest(code, warehouse, environment)
            runs = last_runs(warehouse)
            print(f"{name} ingest: {wall:.1f} s wall, {cpu:.1f} s CPU, load {load:.1f}")
            print(f"  {sum(requests for _, requests, _, _ in runs)} requests")
            for source, requests, started, finished in runs:
                print(f"  {source:<20} {requests:>3} requests, {started:4.1f}..{finished:4.1f} s")
            load = os.getloadavg()[0]


if __name__ == "__main__":
    main()
