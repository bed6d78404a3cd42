"""The fault ledger holds the figures of the last pytest session that ran fault tests.

Fault tests that run ``exnews`` children share one fixture server, one Prefect server and
one clean reference run per session (Prefect's cold start alone is 15-25 s per process).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.faults.harness import EXPECTED, Phases, timed_run
from tests.faults.ledger import LEDGER, audit
from tests.fixture_server import FixtureServer, load_routes, serve


@pytest.fixture(scope="session", autouse=True)
def fresh_ledger() -> Iterator[None]:
    Path(os.environ.get("EXNEWS_FAULT_LEDGER", LEDGER)).unlink(missing_ok=True)
    yield


@pytest.fixture(scope="session")
def fault_server() -> Iterator[FixtureServer]:
    with serve(load_routes()) as server:
        yield server


@pytest.fixture(scope="session")
def fault_env(fault_server: FixtureServer, prefect_backend: str) -> dict[str, str]:
    """The environment of every ``exnews`` child: fixtures for every host, the test Prefect."""
    return {
        **os.environ,
        "EXNEWS_CONNECT_TO": f"*={fault_server.base_url}",
        "EXNEWS_DOWNLOAD_DELAY": "0",
        "EXNEWS_RETRY_BACKOFF_BASE": "0.1",
        "PREFECT_API_URL": prefect_backend,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
    }


@dataclass(frozen=True)
class Reference:
    """A clean ingest into its own warehouse: what every fault run must end up holding."""

    root: Path
    articles: int
    requests: int
    phases: Phases


@pytest.fixture(scope="session")
def reference(
    tmp_path_factory: pytest.TempPathFactory, fault_env: dict[str, str], fault_server: FixtureServer
) -> Reference:
    root = tmp_path_factory.mktemp("reference") / "warehouse"
    before = len(fault_server.requests)
    _, phases = timed_run(root, fault_env)
    articles = audit(root).articles
    assert articles == EXPECTED["articles"], "the clean run disagrees with expected.json"
    return Reference(root, articles, len(fault_server.requests) - before, phases)
