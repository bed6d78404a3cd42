"""The fault suite's overlapping runs, on an object store: ``s3://`` on moto's server.

Real ``exnews`` processes write one warehouse in a bucket at the same time, as workers on
several machines would. An object store has no rename and no hard link: files land as
single PUTs and manifests as conditional PUTs; whatever the runs leave, the views must
show each fixture article once, lose none, and ``exnews sql`` must read it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from upath import UPath

from tests.faults.conftest import Reference
from tests.faults.harness import Finished, backfill, completed, copy_warehouse, ingest, reprocess
from tests.faults.ledger import audit, record
from tests.faults.test_concurrency_faults import PAIRS, _looping, _side_by_side
from tests.s3_server import S3Server, s3_server
from warehouse.compaction import compact
from warehouse.layout import warehouse_root

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def server() -> Iterator[S3Server]:
    with s3_server() as running:
        yield running


@pytest.fixture
def s3_env(
    server: S3Server,
    fault_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> dict[str, str]:
    """The children's environment and this process's: the S3 variables, a local cache."""
    extra = {**server.environment, "EXNEWS_CACHE": str(tmp_path / "cache")}
    for name, value in extra.items():
        monkeypatch.setenv(name, value)
    return {**fault_env, **extra}


def _bucket_root(server: S3Server) -> UPath:
    return warehouse_root(f"s3://{server.bucket()}/warehouse")


def _exnews(env: dict[str, str], *arguments: str) -> Finished:
    result = subprocess.run(
        [sys.executable, "-m", "flows", *arguments],
        capture_output=True, text=True, timeout=240, cwd=REPO, env=env,
    )  # fmt: skip
    return Finished(result.returncode, result.stdout, result.stderr)


def _sql_counts(root: UPath, env: dict[str, str]) -> tuple[int, int]:
    """``exnews sql``'s view of the bucket: articles and distinct article ids."""
    query = "select count(*) as n, count(distinct article_id) as ids from articles"
    result = _exnews(env, "sql", query, "-f", "json", "-w", str(root))
    assert result.returncode == 0, result.stderr[-2000:]
    (row,) = json.loads(result.stdout)
    return row["n"], row["ids"]


def _check(fault: str, root: UPath, reference: Reference, env: dict[str, str], note: str) -> None:
    row = record(fault, 1, reference.articles, audit(root), note)
    assert row.clean, row
    assert _sql_counts(root, env) == (reference.articles, reference.articles)


@pytest.mark.parametrize("fault", PAIRS)
def test_two_runs_at_once_on_s3(
    fault: str, server: S3Server, s3_env: dict[str, str], reference: Reference
):
    """Two ingests at once (and a backfill or a reprocess beside an ingest) into one bucket:
    every fetched article lands exactly once, readable by ``exnews sql``."""
    skip, commands = PAIRS[fault]
    root = _bucket_root(server)
    if skip is not None:
        copy_warehouse(reference.root, root, skip=skip)
    _side_by_side([lambda command=command: command(root, s3_env) for command in commands])
    _check(f"{fault} (s3)", root, reference, s3_env, "both completed on s3://")


def test_backfill_reprocess_compact_and_search_on_s3(
    server: S3Server, s3_env: dict[str, str], reference: Reference
):
    """The whole life of a bucket warehouse through the commands a user types."""
    root = _bucket_root(server)
    for step in (backfill, reprocess):
        result = step(root, s3_env).finish()
        assert completed(result), result.stderr[-2000:]
    compacted = _exnews(s3_env, "compact", "-w", str(root))
    assert compacted.returncode == 0, compacted.stderr[-2000:]
    assert "year=" in compacted.stdout
    _check("backfill, reprocess, compact (s3)", root, reference, s3_env, "all completed on s3://")
    found = _exnews(s3_env, "search", "binance", "-f", "json", "--limit", "1000", "-w", str(root))
    assert found.returncode == 0, found.stderr[-2000:]
    assert len({hit["article_id"] for hit in json.loads(found.stdout)}) > 0


def test_compaction_and_a_reader_beside_an_ingest_on_s3(
    server: S3Server, s3_env: dict[str, str], reference: Reference, tmp_path: Path
):
    """As on a folder: two copies of every file, compaction and a reader looping in their
    own processes while an ingest re-stores what compaction rewrites."""
    root = _bucket_root(server)
    copy_warehouse(reference.root, root, copies=2, skip=("runs",))
    with _looping("read", root, tmp_path) as reads, _looping("compact", root, tmp_path) as passes:
        _side_by_side([lambda: ingest(root, s3_env)])
    assert not reads["errors"] and not passes["errors"], (reads["errors"], passes["errors"])
    assert set(reads["seen"]) == {reference.articles}, "a reader saw rows come and go"
    assert sum(passes["seen"]) > 0, "compaction never ran beside the ingest"
    compact(root, now=datetime.now(UTC) + timedelta(hours=1))
    _check("compaction + reader beside an ingest (s3)", root, reference, s3_env, "on s3://")
