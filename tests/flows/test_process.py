"""Stored pages to tables, without a crawl: the path reprocess takes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from flows.process import Window, process_pages
from transform.enrich.fingerprint import fingerprint
from warehouse import connect
from warehouse.compaction import compact

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "binance"
FETCHED = datetime(2026, 11, 28, 12, tzinfo=UTC)


def detail_page(code: str, title: str, body_of: str) -> dict:
    payload = json.loads(next(FIXTURES.glob(f"detail-{body_of}*.json")).read_text())
    payload["data"].update(code=code, title=title)
    return {
        "raw_id": f"raw-{code}", "source": "binance", "page_kind": "detail",
        "url": f"https://www.binance.com/bapi/x?articleCode={code}", "fetched_at": FETCHED,
        "body": json.dumps(payload).encode(), "status": 200, "native_id": code,
    }  # fmt: skip


def test_the_same_story_twice_shares_a_story_id_and_another_does_not(warehouse: Path):
    codes = sorted(p.stem.removeprefix("detail-") for p in FIXTURES.glob("detail-*.json"))
    first, other = codes[0], codes[1]
    pages = [
        detail_page("a" * 32, "Original notice", first),
        detail_page("b" * 32, "Republished notice", first),
        detail_page("c" * 32, "Unrelated notice", other),
    ]
    result = process_pages(warehouse, "binance", pages, window=Window(), run_id="r1")
    assert result.items_new == 3
    stories = dict(
        connect(warehouse).execute("select native_id, story_id from articles").fetchall()
    )
    assert stories["a" * 32] == stories["b" * 32]
    assert stories["c" * 32] != stories["a" * 32]


def test_a_reprocess_moves_stored_fingerprints_to_the_current_version(
    warehouse: Path, monkeypatch: pytest.MonkeyPatch
):
    """The migration of fingerprint version 2 (docs/upgrading.md): articles stored with
    another version's fingerprints get the current ones, and their stories are built again
    on them, as new versions beside the old rows."""
    codes = sorted(p.stem.removeprefix("detail-") for p in FIXTURES.glob("detail-*.json"))
    pages = [
        detail_page("a" * 32, "Original notice", codes[0]),
        detail_page("b" * 32, "Republished notice", codes[0]),
        detail_page("c" * 32, "Unrelated notice", codes[1]),
    ]
    with monkeypatch.context() as patched:  # a former version: every text one fingerprint
        patched.setattr("transform.enrich.simhash", lambda text: "0123456789abcdef")
        process_pages(warehouse, "binance", pages, window=Window(), run_id="old")
    result = process_pages(warehouse, "binance", pages, window=Window(), run_id="reprocess")
    assert result.items_changed == 3
    rows = (
        connect(warehouse)
        .execute("select native_id, fingerprint, story_id, body_text from articles")
        .fetchall()
    )
    assert {native_id: fp == fingerprint(body) for native_id, fp, _, body in rows} == {
        "a" * 32: True, "b" * 32: True, "c" * 32: True,
    }  # fmt: skip
    stories = {native_id: story_id for native_id, _, story_id, _ in rows}
    assert stories["a" * 32] == stories["b" * 32] != stories["c" * 32]
    versions = connect(warehouse).execute("select count(*) from article_versions").fetchone()
    assert versions == (6,)
    again = process_pages(warehouse, "binance", pages, window=Window(), run_id="again")
    assert again.items_unchanged == 3


def test_files_written_before_processed_at_are_read_and_lose_to_a_reprocess(
    warehouse: Path, monkeypatch: pytest.MonkeyPatch
):
    """A warehouse of files without the ``processed_at`` column (written before it existed),
    under a former fingerprint: the views, the reprocess and compaction read it, and every
    reprocessed row is current."""
    codes = sorted(p.stem.removeprefix("detail-") for p in FIXTURES.glob("detail-*.json"))
    pages = [detail_page(code, f"Notice {code}", code) for code in codes[:6]]
    with monkeypatch.context() as patched:
        patched.setattr("transform.enrich.simhash", lambda text: "0123456789abcdef")
        process_pages(warehouse, "binance", pages, window=Window(), run_id="before")
    for path in (warehouse / "articles").rglob("*.parquet"):
        pq.write_table(pq.read_table(path).drop_columns(["processed_at"]), path)
    assert connect(warehouse).execute("select count(*) from articles").fetchone() == (6,)

    result = process_pages(warehouse, "binance", pages, window=Window(), run_id="reprocess")
    assert result.items_changed == 6
    compact(warehouse)
    rows = connect(warehouse).execute("select run_id, fingerprint from articles").fetchall()
    assert len(rows) == 6
    assert {run_id for run_id, _ in rows} == {"reprocess"}
    assert "0123456789abcdef" not in {fingerprint for _, fingerprint in rows}
