"""Crawls forked from the fork server: nothing unsafe preloaded, each with the caller's
environment of the moment."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from spiders.crawl import run_crawl
from tests.fixture_server import crawl_environment, load_routes, serve

# Thread pools a fork does not copy (pyarrow, DuckDB), a reactor Scrapy must choose itself,
# and the settings module, which reads the environment when imported.
UNSAFE = ("pyarrow", "duckdb", "warehouse.views", "twisted.internet.reactor", "spiders.settings")


def test_the_preload_holds_nothing_a_fork_would_break():
    code = (
        "import importlib, sys\n"
        "from spiders.crawl import PRELOAD\n"
        "for name in PRELOAD: importlib.import_module(name)\n"
        f"print([name for name in {UNSAFE!r} if name in sys.modules])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_each_crawl_gets_the_environment_of_its_call(
    warehouse: Path, monkeypatch: pytest.MonkeyPatch
):
    with serve(load_routes()) as first, serve(load_routes()) as second:
        for server in (first, second):
            for name, value in crawl_environment(server).items():
                monkeypatch.setenv(name, value)
            summary = run_crawl("kraken", run_id=f"r{server.server_port}", warehouse=warehouse)
            assert summary.error is None and summary.requests > 0
        # The fork server started with the first server's address; the second crawl
        # went to the second server all the same.
        assert len(first.requests) == len(second.requests) > 0
