"""``exnews ingest`` without a Prefect API: the CLI starts the temporary server itself,
as it starts, runs the flow against it and stops it when done."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

from tests.fixture_server import FixtureServer
from warehouse import connect


def processes_with(marker: str) -> list[int]:
    """Live processes whose environment holds ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and marker.encode() in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return found


def test_ingest_runs_against_the_temporary_server_the_cli_started_then_stops_it(
    warehouse: Path, fixture_server: FixtureServer
):
    marker = f"exnews-test-{uuid.uuid4().hex}"
    environment = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    environment["EXNEWS_TEST_MARKER"] = marker
    result = subprocess.run(
        [sys.executable, "-m", "flows", "ingest", "--sources", "kucoin", "-w", str(warehouse)],
        env=environment, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    # Prefect says this when it has to start a server of its own: the CLI's was there.
    assert "Starting temporary server" not in result.stdout + result.stderr
    sources = connect(warehouse).execute("select source from runs").fetchall()
    assert sources == [("kucoin",)]
    # Nothing the CLI started outlives it: the server, the crawl fork server.
    deadline = time.monotonic() + 30
    while processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert processes_with(marker) == []
