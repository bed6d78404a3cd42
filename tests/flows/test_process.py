"""Stored pages to tables, without a crawl: the path reprocess takes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from flows.process import Window, process_pages
from warehouse import connect

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
