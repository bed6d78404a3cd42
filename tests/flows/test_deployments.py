"""Deployments on a real Prefect server and worker, started from prefect.yaml like a user does."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from flows.serve import PrefectStack, prefect_stack
from tests.fixture_server import load_routes, serve
from warehouse import connect

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
TERMINAL = {"COMPLETED", "FAILED", "CANCELLED", "CRASHED"}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefectStack]:
    """Server, pool, deployments and a worker whose flow runs reach the fixture server."""
    home = tmp_path_factory.mktemp("prefect")
    with serve(load_routes()) as fixtures, pytest.MonkeyPatch.context() as patch:
        patch.setenv("EXNEWS_CONNECT_TO", f"*={fixtures.base_url}")
        patch.setenv("EXNEWS_DOWNLOAD_DELAY", "0")
        patch.setenv("EXNEWS_WAREHOUSE", str(home / "warehouse"))
        # No scheduled ingest meanwhile: it would take the one ingest slot from the tests.
        logs = Path("tests/output/prefect")
        with prefect_stack(home, ingest_cron="0 0 1 1 *", log_dir=logs) as running:
            yield running


def api(stack: PrefectStack) -> httpx.Client:
    return httpx.Client(base_url=stack.api_url, timeout=30)


def deployment_id(client: httpx.Client, flow: str, name: str) -> str:
    return client.get(f"/deployments/name/{flow}/{name}").raise_for_status().json()["id"]


def start_run(client: httpx.Client, flow: str, name: str, parameters: dict[str, Any]) -> str:
    """A flow run of the deployment, as the UI's Run button makes it. While a flow run keeps
    the server's SQLite busy the server may answer 503; the UI's user would click again."""
    url = f"/deployments/{deployment_id(client, flow, name)}/create_flow_run"
    for _ in range(30):
        answer = client.post(url, json={"parameters": parameters})
        if answer.status_code != 503:
            break
        time.sleep(1)
    return answer.raise_for_status().json()["id"]


def wait_final(
    client: httpx.Client, flow_run_id: str, timeout: float = 300, also: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The run once it is over, or once in one of the states ``also``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = client.get(f"/flow_runs/{flow_run_id}").raise_for_status().json()
        if run["state_type"] in TERMINAL or run["state_type"] in also:
            return run
        time.sleep(0.5)
    raise AssertionError(f"flow run {flow_run_id} not finished after {timeout} s")


@pytest.mark.prefect
def test_a_backfill_deployment_run_lands_rows_and_an_artifact(stack: PrefectStack):
    with api(stack) as client:
        run_id = start_run(
            client,
            "backfill",
            "backfill",
            {"sources": ["binance"], "start": "2026-10-01", "end": "2026-11-01"},
        )
        run = wait_final(client, run_id)
        assert run["state_type"] == "COMPLETED", run["state"]
        artifacts = (
            client.post(
                "/artifacts/filter",
                json={"artifacts": {"flow_run_id": {"any_": [run_id]}}},
            )
            .raise_for_status()
            .json()
        )
    assert {"backfill-report", "backfill-summary"} <= {a["key"] for a in artifacts}
    report = next(a for a in artifacts if a["key"] == "backfill-report")
    assert "binance" in str(report["data"])
    warehouse = Path(stack.env["EXNEWS_WAREHOUSE"])
    published = [
        row[0]
        for row in connect(warehouse)
        .execute("select published_at from articles where source = 'binance'")
        .fetchall()
    ]
    assert published
    assert all(datetime(2026, 10, 1, tzinfo=UTC) <= p < datetime(2026, 11, 1, tzinfo=UTC)
               for p in published)  # fmt: skip


CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path("tests/output")


def browser_or_skip() -> Path:
    """In CI the browser must be there (.ci/run installs it); elsewhere its absence skips."""
    if CHROMIUM.exists():
        return CHROMIUM
    if os.environ.get("CI"):
        pytest.fail("CI must run the UI test, but /usr/bin/chromium is missing")
    pytest.skip("no Chromium at /usr/bin/chromium (apt-get install chromium)")


def submitted_run(
    client: httpx.Client, deployment: str, start: str, timeout: float
) -> dict[str, Any] | None:
    """The run the form created: the one of this deployment with this ``start``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = (
            client.post(
                "/flow_runs/filter", json={"flow_runs": {"deployment_id": {"any_": [deployment]}}}
            )
            .raise_for_status()
            .json()
        )
        matching = [run for run in runs if run["parameters"].get("start") == start]
        if matching:
            return matching[0]
        time.sleep(0.5)
    return None


@pytest.mark.prefect
def test_a_backfill_started_from_the_ui_custom_run_form_lands_rows(stack: PrefectStack):
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    executable = browser_or_skip()
    SHOTS.mkdir(parents=True, exist_ok=True)
    parameters = '{"sources": ["binance"], "start": "2026-11-01", "end": "2026-12-01"}'
    with api(stack) as client, sync_playwright() as playwright:
        deployment = deployment_id(client, "backfill", "backfill")
        browser = playwright.chromium.launch(executable_path=str(executable), args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{stack.ui_url}/deployments/deployment/{deployment}")
        page.get_by_role("button", name="Run", exact=True).click()
        page.get_by_text("Custom run", exact=True).click()
        page.get_by_text("Parameters", exact=True).locator("xpath=..").get_by_role(
            "button"
        ).first.click()
        page.get_by_text("Use JSON input", exact=True).click()
        editor = page.locator("textarea.p-code-input__textarea")
        editor.fill(parameters)
        editor.press("Tab")  # the form takes the JSON when the editor loses focus
        page.get_by_text('"2026-12-01"').wait_for()
        page.wait_for_timeout(1000)
        page.screenshot(path=SHOTS / "ui-backfill-form.png")
        submitted = time.monotonic()
        page.get_by_role("button", name="Submit", exact=True).click()
        created = submitted_run(client, deployment, "2026-11-01", timeout=20)
        if created is None:  # the form was still taking the JSON: submit once more
            page.get_by_role("button", name="Submit", exact=True).click()
            created = submitted_run(client, deployment, "2026-11-01", timeout=60)
        assert created is not None, "the form created no run with the JSON parameters"
        run = wait_final(client, created["id"])
        elapsed = time.monotonic() - submitted
        page.goto(f"{stack.ui_url}/runs/flow-run/{run['id']}")
        page.get_by_text("Completed").first.wait_for()
        page.get_by_text("Artifacts", exact=True).click()
        page.get_by_text("backfill-report").first.wait_for()
        page.screenshot(path=SHOTS / "ui-backfill-run.png", full_page=True)
        browser.close()
    (SHOTS / "ui-backfill-timing.txt").write_text(f"submit to completed: {elapsed:.1f} s\n")
    assert run["state_type"] == "COMPLETED", run["state"]
    assert run["parameters"] == json.loads(parameters)
    warehouse = Path(stack.env["EXNEWS_WAREHOUSE"])
    landed = (
        connect(warehouse)
        .execute(
            """select count(*) from runs where flow = 'backfill' and status <> 'failed'
           and window_start = '2026-11-01 00:00:00+00' and items_new > 0"""
        )
        .fetchone()[0]
    )
    assert landed == 1


@pytest.mark.prefect
def test_an_ingest_started_while_one_runs_is_cancelled(stack: PrefectStack):
    """The deployment's concurrency limit of 1 (CANCEL_NEW). The first run reads all ten
    sources, nine of them for the first time: it still runs when the second one starts.
    Two binance no-ops started together could each finish before the other started."""
    with api(stack) as client:
        first = start_run(client, "ingest", "ingest", {})
        assert wait_final(client, first, also=("RUNNING",))["state_type"] == "RUNNING"
        second = start_run(client, "ingest", "ingest", {"sources": ["binance"]})
        assert wait_final(client, second)["state_type"] == "CANCELLED"
        assert wait_final(client, first)["state_type"] == "COMPLETED"
