"""Prefect's server on PostgreSQL, two workers, one backfill whose chunks run on both.

Real parts throughout: Debian's PostgreSQL in a temporary folder on a free port, the
server ``exnews serve --database-url`` starts on it with one worker, a second worker joined
as another machine joins (``exnews serve --worker-only``, its own Prefect home), the
fixture server standing in for the exchanges, one warehouse folder shared by both.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import httpx
import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.ingest import backfill, month_chunks
from flows.serve import PROJECT, free_port, prefect_stack, process_tree
from tests.fixture_server import load_routes, serve
from tests.flows.test_deployments import deployment_id, start_run, wait_final
from tests.flows.test_ingest import fixture_articles
from warehouse import connect

START, END = "2026-09-01", "2026-12-01"  # every binance fixture article: three month chunks
NEVER = "0 0 1 1 *"  # no scheduled ingest meanwhile
OUTPUT = Path("tests/output")


def postgres_binaries() -> Path:
    """Debian's newest PostgreSQL; in CI it must be there (.ci/run installs it)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if found:
        return found[-1].parent
    if os.environ.get("CI"):
        pytest.fail("CI must run the PostgreSQL test, but /usr/lib/postgresql/*/bin is missing")
    pytest.skip("no PostgreSQL in /usr/lib/postgresql (apt-get install postgresql)")


@contextmanager
def postgres(binaries: Path) -> Iterator[tuple[str, int]]:
    """A throwaway cluster on a free port: yields (asyncpg URL, port).

    initdb refuses to run as root, so as root the server runs as Debian's ``postgres``.
    """
    folder = Path(tempfile.mkdtemp(prefix="exnews-pg-"))
    as_owner: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
        as_owner = ["runuser", "-u", "postgres", "--"]
    data, port = folder / "data", free_port()

    def run(*command: str | Path) -> None:
        subprocess.run([*as_owner, *map(str, command)], check=True, capture_output=True)

    run(binaries / "initdb", "-D", data, "-U", "exnews", "--auth=trust", "-E", "UTF8", "--no-sync")
    options = f"-p {port} -h 127.0.0.1 -k {folder}"
    run(binaries / "pg_ctl", "-D", data, "-l", folder / "server.log", "-w", "-o", options, "start")
    try:
        run(binaries / "createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "exnews", "prefect")
        yield f"postgresql+asyncpg://exnews@127.0.0.1:{port}/prefect", port
    finally:
        run(binaries / "pg_ctl", "-D", data, "-m", "fast", "-w", "stop")
        shutil.rmtree(folder)


def psql(binaries: Path, port: int, query: str) -> str:
    """Straight from PostgreSQL, not through Prefect: where the server really keeps state."""
    command = [str(binaries / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "exnews",
               "-d", "prefect", "-tAc", query]  # fmt: skip
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip()


@contextmanager
def joined_worker(api_url: str, home: Path) -> Iterator[None]:
    """``exnews serve --worker-only`` as a second machine runs it, until the block ends."""
    output = home / "serve.out"
    home.mkdir(parents=True)
    with output.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "flows", "serve", "--worker-only", "--api-url", api_url,
             "--home", str(home), "--worker-limit", "2"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while "on pool exnews" not in output.read_text():
            assert process.poll() is None and time.monotonic() < deadline, output.read_text()
            time.sleep(0.5)
        yield
        started = process_tree(process)
        process.send_signal(signal.SIGTERM)  # as a service manager stops it
        assert process.wait(timeout=30) == 0, output.read_text()
        assert not [child for child in started if child.is_running()], "processes left behind"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def chunk_runs(client: httpx.Client) -> list[dict]:
    chunks = deployment_id(client, "backfill-chunk", "backfill-chunk")
    answer = client.post(
        "/flow_runs/filter", json={"flow_runs": {"deployment_id": {"any_": [chunks]}}}
    )
    return answer.raise_for_status().json()


def executions(client: httpx.Client, flow_run_ids: list[str]) -> list[tuple[str, str]]:
    """(flow run, worker) for each run a worker executed, from the server's events.

    A worker emits ``prefect.worker.executed-flow-run`` once its run's process is done;
    the server stores events a moment later, so wait until every run has one.
    """
    wanted, deadline = set(flow_run_ids), time.monotonic() + 60
    while True:
        answer = client.post(
            "/events/filter",
            json={
                "filter": {"event": {"name": ["prefect.worker.executed-flow-run"]}},
                "limit": 50,  # the most one page holds
            },
        )
        ran = [
            (related["prefect.resource.id"].removeprefix("prefect.flow-run."),
             event["resource"]["prefect.resource.name"])
            for event in answer.raise_for_status().json()["events"]
            for related in event["related"]
            if related["prefect.resource.role"] == "flow-run"
        ]  # fmt: skip
        ran = [(run_id, worker) for run_id, worker in ran if run_id in wanted]
        if {run_id for run_id, _ in ran} == wanted or time.monotonic() > deadline:
            return ran
        time.sleep(1)


def wall_seconds(run: dict) -> float:
    started, ended = (datetime.fromisoformat(run[key]) for key in ("start_time", "end_time"))
    return (ended - started).total_seconds()


def report(client: httpx.Client, flow_run_id: str) -> list[dict]:
    """The rows of a backfill's ``backfill-report`` table artifact."""
    answer = client.post(
        "/artifacts/filter",
        json={
            "artifacts": {
                "flow_run_id": {"any_": [flow_run_id]},
                "key": {"any_": ["backfill-report"]},
            }
        },
    )
    (artifact,) = answer.raise_for_status().json()
    return json.loads(artifact["data"])


def stored_versions(warehouse: Path) -> list[tuple[str, str, int]]:
    """Every (article_id, content_hash) in the Parquet files, however many views hide."""
    files = str(warehouse / "articles" / "**" / "*.parquet")
    return duckdb.execute(
        "select article_id, content_hash, count(*) from read_parquet(?, hive_partitioning=false)"
        " group by all",
        [files],
    ).fetchall()


@dataclass(frozen=True)
class Cluster:
    """The server on PostgreSQL and two workers, one of them joined as another machine."""

    client: httpx.Client
    binaries: Path
    port: int  # PostgreSQL's
    warehouse: Path  # what the workers write unless a run names another


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    binaries = postgres_binaries()
    place = tmp_path_factory.mktemp("cluster")
    with (
        postgres(binaries) as (database_url, port),
        serve(load_routes()) as fixtures,
        pytest.MonkeyPatch.context() as patch,
    ):
        patch.setenv("EXNEWS_CONNECT_TO", f"*={fixtures.base_url}")
        patch.setenv("EXNEWS_DOWNLOAD_DELAY", "0")
        patch.setenv("EXNEWS_WAREHOUSE", str(place / "warehouse"))
        # Two runs at most per worker: three at once cannot all go to one of them.
        with (
            prefect_stack(
                place / "first-machine", ingest_cron=NEVER, database_url=database_url,
                worker_limit=2,
            ) as stack,
            joined_worker(stack.api_url, place / "second-machine"),
            httpx.Client(base_url=stack.api_url, timeout=30) as client,
        ):  # fmt: skip
            yield Cluster(client, binaries, port, place / "warehouse")


def articles_once(warehouse: Path) -> list[str]:
    """The native ids the ``articles`` view shows, after checking none shows twice."""
    rows = connect(warehouse).execute("select article_id, native_id from articles").fetchall()
    assert len({article_id for article_id, _ in rows}) == len(rows), "an article shows twice"
    return sorted(native_id for _, native_id in rows)


@pytest.mark.prefect
def test_a_parallel_backfill_runs_its_chunks_on_two_workers_of_a_postgres_server(
    cluster: Cluster, tmp_path: Path
):
    client, peer = cluster.client, tmp_path / "peer-warehouse"
    window = {"sources": ["binance"], "start": START, "end": END}
    parent_id = start_run(client, "backfill", "backfill", {**window, "parallel_chunks": 3})
    parent = wait_final(client, parent_id, timeout=600)
    chunks = chunk_runs(client)
    pull_steps = client.get(f"/deployments/{chunks[0]['deployment_id']}").json()["pull_steps"]
    # The default, in turn on one worker, into a warehouse of its own: the peer.
    sequential = start_run(client, "backfill", "backfill", {**window, "warehouse": str(peer)})
    peer_run = wait_final(client, sequential, timeout=600)
    ran = executions(client, [run["id"] for run in chunks])
    reports = [report(client, run_id) for run_id in (parent_id, sequential)]
    query = f"select state_type from flow_run where id = '{parent_id}'"
    in_postgres = psql(cluster.binaries, cluster.port, query)

    assert parent["state_type"] == "COMPLETED", parent["state"]
    OUTPUT.mkdir(parents=True, exist_ok=True)  # a record, not a bar: timings are for bench/
    (OUTPUT / "postgres-workers.txt").write_text(
        f"parallel_chunks 3 on two workers: {wall_seconds(parent):.1f} s; "
        f"in turn on one worker: {wall_seconds(peer_run):.1f} s; {sorted(ran)}\n"
    )
    assert peer_run["state_type"] == "COMPLETED", peer_run["state"]
    assert in_postgres == "COMPLETED"
    # Nothing of this machine's layout is stored: each worker runs its own checkout.
    assert str(PROJECT) not in json.dumps(pull_steps), pull_steps
    expected_chunks = month_chunks(date.fromisoformat(START), date.fromisoformat(END))
    assert sorted(run["parameters"]["start"] for run in chunks) == [
        str(start) for start, _ in expected_chunks
    ]
    assert all(run["state_type"] == "COMPLETED" for run in chunks), chunks
    assert all(run["parent_task_run_id"] for run in chunks), "chunks not linked to the backfill"
    assert sorted(run_id for run_id, _ in ran) == sorted(run["id"] for run in chunks), ran
    assert len({worker for _, worker in ran}) == 2, f"every chunk on one worker: {ran}"
    # The parallel report is gathered from the chunks' own artifacts: it must add up.
    assert [row["source"] for row in reports[0]] == ["binance"] * len(expected_chunks)
    new = [sum(row["items_new"] for row in rows) for rows in reports]
    assert new[0] == new[1] > 0, reports

    assert articles_once(cluster.warehouse) == articles_once(peer) == sorted(fixture_articles())
    assert all(copies == 1 for _, _, copies in stored_versions(cluster.warehouse))
    statuses = (
        connect(cluster.warehouse)
        .execute("select status from runs where flow = 'backfill'")
        .fetchall()
    )
    assert len(statuses) == len(expected_chunks)
    assert ("failed",) not in statuses


@pytest.mark.prefect
def test_ingest_reprocess_compaction_and_a_chunk_at_once_on_two_workers(
    cluster: Cluster, tmp_path: Path
):
    """Four writers on one warehouse at the same time, two per worker: nothing lost or
    doubled. The reprocess rebuilds from what a first ingest stored."""
    client, warehouse = cluster.client, str(tmp_path / "warehouse")
    first = start_run(client, "ingest", "ingest", {"sources": ["binance"], "warehouse": warehouse})
    assert wait_final(client, first)["state_type"] == "COMPLETED"
    together = [
        start_run(client, "ingest", "ingest", {"sources": ["binance"], "warehouse": warehouse}),
        start_run(client, "reprocess", "reprocess",
                  {"sources": ["binance"], "start": START, "end": END, "warehouse": warehouse}),
        start_run(client, "compact", "compact", {"warehouse": warehouse}),
        start_run(client, "backfill-chunk", "backfill-chunk",
                  {"sources": ["binance"], "start": "2026-10-01", "end": "2026-11-01",
                   "max_pages": 50, "warehouse": warehouse}),
    ]  # fmt: skip
    finals = [wait_final(client, run_id, timeout=600) for run_id in together]
    ran = executions(client, together)

    assert [run["state_type"] for run in finals] == ["COMPLETED"] * len(together), finals
    assert len({worker for _, worker in ran}) == 2, f"all on one worker: {ran}"
    assert articles_once(tmp_path / "warehouse") == sorted(fixture_articles())


@pytest.mark.parametrize("parallel_chunks", [0, -1])
def test_a_backfill_refuses_fewer_than_one_chunk_at_a_time(parallel_chunks: int):
    with pytest.raises(ValueError, match="parallel_chunks"):
        backfill.fn(
            ["binance"], date(2026, 9, 1), date(2026, 10, 1), parallel_chunks=parallel_chunks
        )


@pytest.mark.parametrize(
    ("arguments", "complaint"),
    [
        (["--database-url", "mysql://exnews@db/prefect"], "postgresql+asyncpg://"),
        (["--worker-only"], "--worker-only needs the server's API"),
        (["--workers", "0"], "--workers"),
    ],
)
def test_serve_refuses_bad_usage_before_starting_anything(
    arguments: list[str], complaint: str, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    result = CliRunner().invoke(app, ["serve", *arguments])
    assert result.exit_code == 2
    assert complaint in " ".join(result.output.replace("│", " ").split())
