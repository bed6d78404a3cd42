"""Conformance: the real captured OKX and KuCoin responses, through the real command line.

Runs ``exnews ingest --sources okx,kucoin`` with every host mapped to a local server that
answers the real list and detail paths with the captures (see
tests/okx_kucoin_capture_server.py for what it derives). Skips when
../shared/reference/captures is absent.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import lxml.html

from tests.conftest import captures
from tests.fixture_server import serve
from tests.okx_kucoin_capture_server import (
    kucoin_articles,
    kucoin_items,
    okx_entries,
    okx_help_pages,
    okx_kucoin_capture_routes,
)
from transform.enrich.symbols import find_symbols
from transform.extract.markup import render_html
from transform.sources.okx import article_slug
from warehouse import connect


def ingest(warehouse: Path, prefect_backend: str, captures_root: Path) -> None:
    with serve(okx_kucoin_capture_routes(captures_root)) as server:
        result = subprocess.run(
            [sys.executable, "-m", "flows", "ingest", "--sources", "okx,kucoin"],
            capture_output=True, text=True, timeout=900,
            env={**os.environ, "EXNEWS_CONNECT_TO": f"*={server.base_url}",
                 "EXNEWS_WAREHOUSE": str(warehouse), "EXNEWS_DOWNLOAD_DELAY": "0",
                 "PREFECT_API_URL": prefect_backend},
        )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]


def from_ms(value: str | int) -> datetime:
    return datetime.fromtimestamp(int(value) / 1000, tz=UTC)


def check_okx(landed: dict[str, tuple], failed: set[str], folder: Path) -> None:
    entries = {article_slug(entry["url"]): entry for entry in okx_entries(folder)}
    pages = okx_help_pages(folder)
    assert set(landed) == set(entries) and len(entries) == 21  # 18 US + 4 EEA, AERGO in both
    for slug, page in pages.items():
        title, published_at, body, coins, pairs, url = landed[slug]
        document = lxml.html.document_fromstring(page)
        state = json.loads(document.xpath('//script[@id="appState"]')[0].text_content())
        post = state["appContext"]["serverSideProps"]["currentPost"]
        rich_text = document.xpath('//div[starts-with(@class, "index_richTextContent")]')[0]
        assert (title, url) == (post["title"], f"https://www.okx.com/help/{slug}")
        assert published_at == datetime.fromisoformat(post["publishTime"])
        assert body == render_html(rich_text).text and len(body) > 500
        symbols = find_symbols(f"{title}\n{body}")
        assert symbols.pairs and (coins, pairs) == (list(symbols.coins), list(symbols.pairs))
    for slug in set(entries) - set(pages):  # no help page captured: list data only
        title, published_at, body, coins, pairs, url = landed[slug]
        entry = entries[slug]
        assert (title, body, url) == (entry["title"], None, f"https://www.okx.com/help/{slug}")
        assert published_at == from_ms(entry["businessPTime"])
        assert (coins, pairs) == (list(find_symbols(title).coins), list(find_symbols(title).pairs))
    assert failed == {f"https://www.okx.com/help/{slug}" for slug in set(entries) - set(pages)}


def check_kucoin(landed: dict[str, tuple], failed: set[str], folder: Path) -> None:
    items = {
        item["annUrl"].split("/announcement/")[1].split("?")[0]: item
        for item in kucoin_items(folder)
    }
    articles = {path: json.loads(raw)["data"] for path, raw in kucoin_articles(folder).items()}
    assert set(landed) == set(items) and len(items) == 50
    for path, data in articles.items():
        title, published_at, body, coins, pairs, url = landed[path]
        assert (title, url) == (data["title"], f"https://www.kucoin.com/announcement/{path}")
        assert published_at == datetime.fromtimestamp(data["publish_ts"], tz=UTC)
        assert body.startswith("Dear KuCoin Earn Users,\n\nDue to product adjustments, the WAXP")
        assert "Sign Up on KuCoin" not in body and len(body) > 500
        symbols = find_symbols(f"{title}\n{body}")
        assert coins == list(symbols.coins) == ["WAX"] and pairs == []
    for path in set(items) - set(articles):
        title, published_at, body, coins, pairs, url = landed[path]
        item = items[path]
        assert (title, body) == (item["annTitle"], None)
        assert url == f"https://www.kucoin.com/announcement/{path}"
        assert published_at == from_ms(item["cTime"])
        assert (coins, pairs) == (list(find_symbols(title).coins), list(find_symbols(title).pairs))
    cms = "https://www.kucoin.com/_api/cms/articles/{}?lang=en_US"
    assert failed == {cms.format(path) for path in set(items) - set(articles)}


def test_every_captured_item_lands_through_exnews_ingest(warehouse: Path, prefect_backend: str):
    okx_folder, kucoin_folder = captures("okx"), captures("kucoin")
    ingest(warehouse, prefect_backend, okx_folder.parent)
    connection = connect(warehouse)
    rows = connection.execute(
        "select source, native_id, title, published_at, body_text, coins, pairs, url from articles"
    ).fetchall()
    failures = connection.execute(
        "select source, url from quarantine where stage = 'fetch' and status = 404"
    ).fetchall()
    assert connection.execute("select count(*) from quarantine").fetchone()[0] == len(failures)
    for source, check, folder in (
        ("okx", check_okx, okx_folder),
        ("kucoin", check_kucoin, kucoin_folder),
    ):
        landed = {row[1]: row[2:] for row in rows if row[0] == source}
        check(landed, {url for s, url in failures if s == source}, folder)
    # Every captured detail names its pairs or coins; of the list-only titles, 19 name none
    # that find_symbols reads ("Two Project Coins", "Delist the GLMR, MOVR Products").
    named = sum(1 for row in rows if row[5] or row[6])
    assert (named, len(rows)) == (52, 71)
