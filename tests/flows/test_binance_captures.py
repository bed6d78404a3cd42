"""Conformance: the real captured Binance responses, through the real command line.

Runs ``exnews ingest --sources binance`` with every host mapped to a local server that
answers the real list and detail paths with the captures (see tests/capture_server.py).
Skips when ../shared/reference/captures is absent.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from tests.capture_server import binance_capture_routes
from tests.conftest import captures
from tests.fixture_server import serve
from transform.enrich.symbols import find_symbols
from transform.sources.binance import render_body
from warehouse import connect


def test_every_captured_article_lands_through_exnews_ingest(warehouse: Path, prefect_backend: str):
    folder = captures("binance")
    listing = json.loads((folder / "list-catalog-161.json").read_text())
    listed = {e["code"]: e for e in listing["data"]["catalogs"][0]["articles"]}
    details = {
        p.stem.removeprefix("detail-"): json.loads(p.read_text())["data"]
        for p in folder.glob("detail-*.json")
    }
    with serve(binance_capture_routes(folder)) as server:
        result = subprocess.run(
            [sys.executable, "-m", "flows", "ingest", "--sources", "binance"],
            capture_output=True, text=True, timeout=600,
            env={**os.environ, "EXNEWS_CONNECT_TO": f"*={server.base_url}",
                 "EXNEWS_WAREHOUSE": str(warehouse), "EXNEWS_DOWNLOAD_DELAY": "0",
                 "PREFECT_API_URL": prefect_backend},
        )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    rows = (
        connect(warehouse)
        .execute("select native_id, title, published_at, body_text, pairs, url from articles")
        .fetchall()
    )
    landed = {row[0]: row[1:] for row in rows}
    assert set(landed) == set(listed) | set(details)
    for code, detail in details.items():
        title, published_at, body, pairs, url = landed[code]
        assert title == detail["title"]
        assert published_at == datetime.fromtimestamp(detail["publishDate"] / 1000, tz=UTC)
        assert body == render_body(detail["body"]).text and len(body) > 200
        expected_pairs = find_symbols(f"{detail['title']}\n{body}").pairs
        assert expected_pairs and set(expected_pairs) <= set(pairs)
        assert url == f"https://www.binance.com/en/support/announcement/detail/{code}"
    for code, entry in listed.items():  # no detail was captured for these: list data only
        title, published_at, body, _, _ = landed[code]
        assert (title, body) == (entry["title"], None)
        assert published_at == datetime.fromtimestamp(entry["releaseDate"] / 1000, tz=UTC)
    failures = (
        connect(warehouse)
        .execute("select native_id, url from quarantine where stage = 'fetch' and status = 404")
        .fetchall()
    )
    assert {code for code, url in failures if "/detail/" in url} == set(listed)
    # Catalogs other than 161 were not captured: the server answers 404 and says so.
    lists = {url.split("catalogId=")[1].split("&")[0] for c, url in failures if c is None}
    assert lists == {"48", "49", "50", "51", "93", "128", "157"}
