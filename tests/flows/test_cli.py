"""The exnews command as a user runs it: a real process, real exit codes."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from warehouse.schemas import TABLES
from warehouse.writer import write_rows

EXNEWS = [sys.executable, "-m", "flows"]


def exnews(*arguments: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*EXNEWS, *arguments], capture_output=True, text=True, timeout=300,
        env={**os.environ, **(env or {})},
    )  # fmt: skip


@pytest.fixture
def one_article(warehouse: Path) -> Path:
    write_rows(warehouse, TABLES["articles"], [{
        "article_id": "a1", "source": "binance", "native_id": "c1", "title": "Hello, \"world\"",
        "published_at": datetime(2026, 11, 1, tzinfo=UTC), "content_hash": "h1",
        "fetched_at": datetime(2026, 11, 2, tzinfo=UTC), "pairs": ["FOO/USDT"],
    }])  # fmt: skip
    return warehouse


def test_sql_prints_csv_json_and_table(one_article: Path):
    query = "select source, title, published_at, pairs from articles"
    as_csv = exnews("sql", query, "--format", "csv", "--warehouse", str(one_article))
    assert as_csv.returncode == 0, as_csv.stderr
    rows = list(csv.reader(io.StringIO(as_csv.stdout)))
    assert rows[0] == ["source", "title", "published_at", "pairs"]
    assert rows[1][:3] == ["binance", 'Hello, "world"', "2026-11-01 00:00:00+00:00"]
    as_json = exnews("sql", query, "-f", "json", env={"EXNEWS_WAREHOUSE": str(one_article)})
    assert json.loads(as_json.stdout) == [{
        "source": "binance", "title": 'Hello, "world"',
        "published_at": "2026-11-01T00:00:00+00:00", "pairs": ["FOO/USDT"],
    }]  # fmt: skip
    as_table = exnews("sql", "select count(*) as n from articles", "-w", str(one_article))
    assert "│ 1 " in as_table.stdout


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("selec nothing", "syntax error"),
        ("select * from no_such_table", "no_such_table"),
        ("create table t (a int)", "only read-only queries"),
        ("copy articles to '/tmp/out.csv'", "only read-only queries"),
    ],
)
def test_a_bad_query_gives_the_database_message_and_no_traceback(
    one_article: Path, query: str, message: str
):
    result = exnews("sql", query, "--warehouse", str(one_article))
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_an_empty_warehouse_still_has_every_view(warehouse: Path):
    result = exnews("sql", "select count(*) from articles, runs, quarantine", "-f", "csv",
                    "-w", str(warehouse))  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1] == "0"


def test_sources_lists_every_spider_with_its_last_run(one_article: Path):
    write_rows(one_article, TABLES["runs"], [{
        "run_id": "r1", "flow": "ingest", "source": "binance", "status": "completed",
        "started_at": datetime(2026, 11, 2, tzinfo=UTC),
        "finished_at": datetime(2026, 11, 2, 0, 1, tzinfo=UTC),
    }])  # fmt: skip
    result = exnews("sources", "-w", str(one_article))
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if line.startswith("│ binance"))
    assert "completed" in line and line.rstrip(" │").endswith("1")
    assert "/bapi/composite/v1/public/cms/article/list/query" in result.stdout


def test_status_flags_a_source_whose_newest_item_is_past_its_cadence(one_article: Path):
    result = exnews("status", "-w", str(one_article))
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if line.startswith("│ binance"))
    assert "stale" in line  # its one article is from 2026-11-01, cadence 2 days
    assert "needs a look: binance" in result.stdout.replace("\n", " ")
