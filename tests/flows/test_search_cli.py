"""``exnews search`` and the catalog after a real ingest of the fixtures, as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.ingest import ingest
from tests.fixture_server import load_routes, serve
from tests.flows.test_cli import exnews

SOURCES = ["binance", "gate_square"]


@pytest.fixture(scope="module")
def landed(prefect_backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One ingest of two sources (English and Chinese); its run indexed them."""
    root = tmp_path_factory.mktemp("search") / "warehouse"
    with serve(load_routes()) as server, pytest.MonkeyPatch.context() as patch:
        patch.setenv("EXNEWS_CONNECT_TO", f"*={server.base_url}")
        patch.setenv("EXNEWS_DOWNLOAD_DELAY", "0")
        ingest(sources=SOURCES, warehouse=str(root))
    yield root


def hits(root: Path, *arguments: str) -> list[dict]:
    result = exnews("search", *arguments, "--format", "json", "--warehouse", str(root))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def sql_count(root: Path) -> int:
    result = exnews("sql", "select count(*) from articles", "-f", "csv", "-w", str(root))
    assert result.returncode == 0, result.stderr
    return int(result.stdout.splitlines()[1])


def test_the_ingest_left_an_index_that_finds_english_words(landed: Path):
    found = hits(landed, "solana")
    assert {hit["source"] for hit in found} == set(SOURCES)
    maintenance = next(hit for hit in found if hit["source"] == "binance")
    assert maintenance["title"].startswith("Binance Wallet Maintenance for Solana (SOL)")
    assert set(found[0]) == {
        "article_id", "source", "published_at", "title", "snippet", "category", "score",
    }  # fmt: skip
    assert [hit["score"] for hit in found] == sorted((hit["score"] for hit in found), reverse=True)


def test_a_chinese_word_finds_the_chinese_post_with_the_word_highlighted(landed: Path):
    (post,) = hits(landed, "比特币")
    assert post["source"] == "gate_square"
    assert post["title"].startswith("比特币现货ETF本周重新出现净流入")
    assert "**比特币**" in post["snippet"]
    assert hits(landed, "比特") and hits(landed, "币比") == []  # adjacent, in that order


def test_filters_narrow_the_hits(landed: Path):
    assert {hit["source"] for hit in hits(landed, "solana", "--sources", "gate_square")} == {
        "gate_square"
    }
    assert {hit["category"] for hit in hits(landed, "delist", "--category", "delisting")} == {
        "delisting"
    }
    window = hits(landed, "delist", "--since", "2026-10-01", "--until", "2026-11-01")
    assert window
    assert all("2026-10-01" <= hit["published_at"] < "2026-11-01" for hit in window)
    assert len(hits(landed, "delist", "--limit", "3")) == 3


def test_the_table_shows_each_hit(landed: Path):
    result = exnews("search", "proof of reserves", "-w", str(landed))
    assert result.returncode == 0, result.stderr
    assert "1 hits" in result.stdout
    assert "Binance Proof of Reserves: November 2026" in result.stdout


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["  "], "empty query"),
        (["solana AND ("], "invalid query"),
        (["solana", "--format", "xml"], "unknown format"),
    ],
)
def test_a_bad_query_is_one_clear_line_and_exit_2(landed: Path, arguments: list, message: str):
    result = exnews("search", *arguments, "-w", str(landed))
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr + result.stdout


def test_rebuild_indexes_every_article_and_answers_the_same(landed: Path):
    before = hits(landed, "delist", "--limit", "500")
    result = exnews("search", "--rebuild", "-w", str(landed))
    assert result.returncode == 0, result.stderr
    assert f"indexed {sql_count(landed)} articles" in result.stderr
    after = hits(landed, "delist", "--limit", "500")
    assert sorted(hit["article_id"] for hit in after) == sorted(hit["article_id"] for hit in before)


def test_search_hits_join_articles_in_exnews_sql(landed: Path):
    query = (
        "select s.rank, a.source, a.title from search('solana') s "
        "join articles a using (article_id) order by s.rank"
    )
    result = exnews("sql", query, "-f", "json", "-w", str(landed))
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [row["title"] for row in rows] == [hit["title"] for hit in hits(landed, "solana")]
    assert [row["rank"] for row in rows] == list(range(1, len(rows) + 1))


def test_the_catalog_counts_what_exnews_sql_counts(landed: Path, tmp_path: Path):
    """``duckdb <warehouse>/exnews.duckdb`` (the CLI from the duckdb-cli package), elsewhere."""
    cli = Path(sys.executable).with_name("duckdb")
    if not cli.exists():
        pytest.skip("no duckdb CLI beside this Python (the dev extra duckdb-cli brings one)")
    result = subprocess.run(
        [str(cli), "-readonly", "-csv", "-noheader", str(landed / "exnews.duckdb"),
         "-c", "select count(*) from articles"],
        capture_output=True, text=True, cwd=tmp_path, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) == sql_count(landed) > 0
