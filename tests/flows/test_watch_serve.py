"""``exnews serve --watch --notify-webhook URL``: the watch runs as a deployment the UI shows,
its new listings reach the webhook, and serve's stop still ends everything.
"""

from __future__ import annotations

import signal
from contextlib import suppress
from pathlib import Path

import httpx
import psutil
import pytest

from flows.serve import process_tree
from tests.faults.harness import wait_for
from tests.fixture_server import FixtureServer, publish_binance
from tests.flows.test_serve_signals import BUDGET, flow_run_state, start_serve
from tests.flows.webhook_receiver import receiving
from warehouse import connect

pytestmark = pytest.mark.prefect


def watch_runs(api_url: str) -> list[dict]:
    answer = httpx.post(
        f"{api_url}/flow_runs/filter", json={"flows": {"name": {"any_": ["watch"]}}}, timeout=30
    )
    return answer.raise_for_status().json()


def notified(warehouse: Path) -> set[str]:
    """The titles the automation is for: every stored listing and delisting."""
    rows = connect(warehouse).execute(
        "select title from articles where category in ('listing', 'delisting')"
    )
    return {title for (title,) in rows.fetchall()}


def test_serve_runs_the_watch_deployment_and_its_listings_reach_the_webhook(
    tmp_path: Path, fixture_server: FixtureServer
):
    warehouse = tmp_path / "warehouse"
    with receiving() as receiver:
        serve_process, api_url = start_serve(
            tmp_path, fixture_server, "--watch", "--notify-webhook", receiver.url
        )
        try:
            [run] = watch_runs(api_url)
            assert run["deployment_id"], "the watch runs as a deployment"
            wait_for(lambda: watch_runs(api_url)[0]["state_type"] == "RUNNING", 120, "watch", 1)
            wait_for(lambda: receiver.posts, 240, "posts from the watch", 1)
            item = publish_binance(fixture_server, "Binance Will List Served Watch (SWW)")
            wait_for(lambda: item.title in receiver.titles(), 120, "a post for the new item", 1)
            expected = notified(warehouse)
            wait_for(lambda: set(receiver.titles()) >= expected, 60, "every post", 1)
            tree = process_tree(serve_process)
            serve_process.send_signal(signal.SIGTERM)
            serve_process.wait(timeout=BUDGET + 5)
            wait_for(
                lambda: not any(process.is_running() for process in tree), BUDGET, "the end", 0.5
            )
        finally:
            for process in process_tree(serve_process):
                with suppress(psutil.NoSuchProcess):
                    process.kill()
    assert serve_process.returncode == 0
    assert flow_run_state(tmp_path, run["id"]) in {"CANCELLED", "CRASHED"}
    assert set(receiver.titles()) == expected
    assert len(receiver.posts) == len(expected)  # each once
    assert connect(warehouse).execute("select distinct flow from runs").fetchall() == [("watch",)]
