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
    assert message in one_line(result)


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


# --- bad input: one line on stderr, exit 1; bad usage: exit 2; never a traceback ----------

BINANCE_DETAIL = (
    Path(__file__).resolve().parents[1]
    / "fixtures"
    / "binance"
    / ("detail-486e25903b64f1e0f3d6455a89677b4f.json")
)


def one_line(result: subprocess.CompletedProcess) -> str:
    """The error message, asserting it is one line and no traceback."""
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def usage_message(result: subprocess.CompletedProcess) -> str:
    """Click's usage error, its box drawing dropped and its lines joined."""
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    return " ".join(result.stderr.translate(str.maketrans("", "", "│╭╮╰╯─")).split())


@pytest.fixture
def bad_inputs(tmp_path: Path) -> Path:
    nested = "".join('{"data":' for _ in range(5000)) + "1" + "}" * 5000
    (tmp_path / "deep.json").write_text(nested)
    (tmp_path / "garbage.bin").write_bytes(bytes(range(256)) * 40)
    (tmp_path / "a-folder").mkdir()
    with (tmp_path / "huge.html").open("wb") as handle:  # past the 16 MiB payload limit
        handle.write(
            b"<html><body><p>" + b"BTC/USDT up 5%. " * (17 * 2**16) + b"</p></body></html>"
        )
    return tmp_path


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["deep.json", "--source", "binance"], "JSON is nested deeper than 200 levels"),
        (["deep.json"], "JSON is nested deeper than 200 levels"),
        (["garbage.bin"], "neither JSON, HTML nor UTF-8 text"),
        (["a-folder"], "could not read a-folder: Is a directory"),
        (["missing.html"], "could not read missing.html: No such file or directory"),
        (["huge.html"], "over the 16 MiB limit"),
    ],
    ids=["deep-json-binance", "deep-json", "binary-garbage", "a-folder", "missing", "huge"],
)
def test_clean_answers_bad_input_with_one_line(bad_inputs: Path, arguments, message):
    result = subprocess.run(
        [*EXNEWS, "clean", *arguments], capture_output=True, text=True, timeout=300,
        cwd=bad_inputs,
    )  # fmt: skip
    assert result.returncode == 1
    assert message in one_line(result)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["backfill", "-s", "binance", "--start", "2026-13-01", "--end", "2026-12-01"],
         "Invalid value for '--start'"),
        (["reprocess", "--start", "2026-12-01", "--end", "2026-11-01"],
         "--end 2026-11-01 must be after --start 2026-12-01"),
        (["ingest", "--sources", "binance,nope"], "unknown source(s) nope (known: binance"),
        (["backfill", "-s", "nope", "--start", "2026-11-01", "--end", "2026-12-01"],
         "unknown source(s) nope"),
        (["clean", str(BINANCE_DETAIL), "--source", "nope"], "unknown source 'nope'"),
        (["clean", str(BINANCE_DETAIL), "--fetched-at", "yesterday"],
         "'yesterday' is not an ISO 8601 time"),
        (["status", "-w", str(BINANCE_DETAIL)], "is not a folder"),
        (["sql", "select 1", "--format", "xml"], "unknown format 'xml'"),
    ],
    ids=["bad-date", "end-before-start", "unknown-source", "backfill-unknown-source",
         "clean-unknown-source", "bad-fetched-at", "warehouse-is-a-file", "sql-format"],
)  # fmt: skip
def test_bad_usage_exits_2_with_the_reason_and_no_traceback(arguments, message):
    assert message in usage_message(exnews(*arguments))


def test_an_unreadable_warehouse_is_one_line(warehouse: Path):
    broken = warehouse / "runs" / "month=2026-11"
    broken.mkdir(parents=True)
    (broken / "part-broken.parquet").write_bytes(b"not parquet at all")
    result = exnews("status", "-w", str(warehouse))
    assert result.returncode == 1
    assert one_line(result).startswith(f"could not read the warehouse {warehouse}")


def test_a_bug_is_one_line_naming_the_error_type():
    """An error no command handles is a bug: its type and message, exit 1, no traceback."""
    program = (
        "import sys, transform.extract.clean\n"
        "def broken(*args, **kwargs): raise KeyError('a bug')\n"
        "transform.extract.clean.clean_document = broken\n"
        "from flows.cli import app\n"
        f"sys.argv = ['exnews', 'clean', {str(BINANCE_DETAIL)!r}]\n"
        "app(prog_name='exnews')\n"
    )
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
    assert result.returncode == 1
    assert one_line(result) == "internal error (a bug): KeyError: 'a bug'"
