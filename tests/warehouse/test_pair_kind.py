"""``mentions.pair_kind``: a Chinese perpetual listing cleaned, written to Parquet and read
back through the DuckDB views, next to a file written before the column existed."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

from transform.extract.clean import clean_document
from warehouse import connect
from warehouse.schemas import TABLES
from warehouse.writer import write_rows

FETCHED = datetime(2026, 12, 2, 4, tzinfo=UTC)
TEXT = """BSUUSDT 永续合约全新上线创新板块，支持最高 20 倍杠杆

币安合约将于 2026-12-02 19:15（东八区时间）上线 BSUUSDT 永续合约，并开通 BSU/USDC 现货交易对。
"""


def mention_rows(article_id: str, content_hash: str) -> list[dict]:
    article = clean_document(
        TEXT.encode(), source="binance", url="https://www.binance.com/zh-CN/1", fetched_at=FETCHED
    )
    return [
        {
            **dataclasses.asdict(mention),
            "article_id": article_id,
            "content_hash": content_hash,
            "source": "binance",
            "fetched_at": FETCHED,
        }
        for mention in article.mentions
    ]


def article_row(article_id: str, content_hash: str) -> dict:
    """The stored version the mentions belong to (the view shows current versions' only)."""
    return {
        "article_id": article_id,
        "source": "binance",
        "native_id": article_id,
        "title": "BSUUSDT 永续合约全新上线创新板块",
        "published_at": FETCHED,
        "fetched_at": FETCHED,
        "first_seen_at": FETCHED,
        "content_hash": content_hash,
    }


def test_pair_kinds_land_in_the_warehouse(warehouse: Path) -> None:
    write_rows(warehouse, TABLES["articles"], [article_row("a0", "h0"), article_row("a1", "h1")])
    write_rows(warehouse, TABLES["mentions"], mention_rows("a1", "h1"))
    old = TABLES["mentions"]
    without = old.schema.remove(old.schema.get_field_index("pair_kind"))
    old_rows = [
        {key: value for key, value in row.items() if key != "pair_kind"}
        for row in mention_rows("a0", "h0")
    ]
    write_rows(warehouse, dataclasses.replace(old, schema=without), old_rows)
    query = "select distinct article_id, value, pair_kind from mentions where kind = 'pair'"
    found = connect(warehouse).execute(f"{query} order by all").fetchall()
    assert found == [
        ("a0", "BSU/USDC", None),
        ("a0", "BSU/USDT", None),
        ("a1", "BSU/USDC", "spot"),
        ("a1", "BSU/USDT", "perpetual"),
    ]
