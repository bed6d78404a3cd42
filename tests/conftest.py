"""Shared fixtures: a fixture server per test, a fresh warehouse, one Prefect backend."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixture_server import FixtureServer, Route, crawl_environment, load_routes, serve

os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

CAPTURES = Path(__file__).resolve().parents[2] / "shared" / "reference" / "captures"


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    root = tmp_path / "warehouse"
    root.mkdir()
    return root


@pytest.fixture
def fixture_routes() -> list[Route]:
    """The bundled fixtures; a test may add or replace routes before the server starts."""
    return load_routes()


@pytest.fixture
def fixture_server(
    fixture_routes: list[Route], monkeypatch: pytest.MonkeyPatch
) -> Iterator[FixtureServer]:
    """Every host goes to a local server; crawl children inherit the environment."""
    with serve(fixture_routes) as server:
        for name, value in crawl_environment(server).items():
            monkeypatch.setenv(name, value)
        yield server


@pytest.fixture(scope="session")
def prefect_backend() -> Iterator[str]:
    """One temporary Prefect server for the whole session (its cold start is slow).

    Yields its API URL, for child processes that should use it too.
    """
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield str(PREFECT_API_URL.value())


def captures(exchange: str) -> Path:
    folder = CAPTURES / exchange
    if not folder.is_dir():
        pytest.skip(f"no real captures at {folder} (../shared is absent)")
    return folder
