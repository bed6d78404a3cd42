"""``exnews sql`` only reads the warehouse, and nothing from a crawled page becomes SQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from flows.process import Window, process_pages
from tests.flows.test_process import detail_page
from warehouse import connect
from warehouse.state import newest_published_at, story_candidates
from warehouse.views import confined_connection


def exnews_sql(query: str, warehouse: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flows", "sql", query, "-f", "json", "-w", str(warehouse)],
        capture_output=True, text=True, timeout=120, env=os.environ.copy(),
    )  # fmt: skip


@pytest.mark.parametrize(
    "query",
    [
        "copy articles to '/tmp/exnews-out.csv'",
        "attach ':memory:' as smuggled",
        "set enable_external_access = true",
        "install httpfs",
        "load httpfs",
        "pragma version",
        "create table t (a int)",
        "create or replace view articles as select 1",
        "insert into runs (run_id) values ('x')",
        "delete from articles",
        "update articles set title = 'x'",
        "drop view articles",
        "export database '/tmp/exnews-export'",
        "import database '/tmp/exnews-export'",
        "call pragma_version()",
        "checkpoint",
        "detach memory",
        "update extensions",
        "select 1; attach ':memory:' as smuggled",
        "select 1; copy articles to '/tmp/exnews-out.csv'",
    ],
)
def test_anything_but_a_read_is_refused(warehouse: Path, query: str):
    result = exnews_sql(query, warehouse)
    assert result.returncode == 1, result.stdout
    assert "only read-only queries (SELECT, EXPLAIN) are allowed" in result.stderr
    assert "Traceback" not in result.stderr
    assert not Path("/tmp/exnews-out.csv").exists()


@pytest.mark.parametrize(
    "query",
    [
        "select * from read_csv('/etc/passwd')",
        "select * from read_text('/etc/hostname')",
        "select * from glob('/*')",
        "select * from read_parquet('{root}/../outside.parquet')",
        "select * from read_json('http://127.0.0.1:9/x.json')",
    ],
)
def test_no_file_outside_the_warehouse_can_be_read(warehouse: Path, query: str):
    (warehouse.parent / "outside.parquet").write_bytes(b"")
    result = exnews_sql(query.format(root=warehouse), warehouse)
    assert result.returncode == 1, result.stdout
    assert "Permission Error" in result.stderr
    assert "root:" not in result.stdout


def test_the_views_still_read_their_files_when_confined(tmp_path: Path):
    # A folder whose name would end a quoted SQL string: the views quote their paths.
    warehouse = tmp_path / "it's; drop view articles; --"
    pages = [detail_page("a" * 32, "Plain notice", "486e")]
    process_pages(warehouse, "binance", pages, window=Window(), run_id="r1")
    connection = confined_connection(warehouse)
    assert connection.execute("select title from articles").fetchall() == [("Plain notice",)]
    assert connection.execute("select count(*) from runs, quarantine").fetchone() == (0,)
    for setting in ("enable_external_access = true", "allowed_directories = ['/']"):
        with pytest.raises(duckdb.Error, match="configuration has been locked"):
            connection.execute(f"SET {setting}")


HOSTILE = {
    "native_id": "'); DROP VIEW articles; --",
    "title": "{{ $EXNEWS_HOME }} ${jndi:ldap://127.0.0.1:9/x} '); DROP TABLE runs; -- %s ?",
}


def test_hostile_page_values_land_verbatim_and_the_views_still_work(warehouse: Path):
    page = detail_page(HOSTILE["native_id"], HOSTILE["title"], "486e")
    for run in ("r1", "r2"):  # the second run reads the stored version back by its id
        process_pages(warehouse, "binance", [page], window=Window(), run_id=run)

    result = exnews_sql("select native_id, title, url from articles", warehouse)
    assert result.returncode == 0, result.stderr
    (article,) = json.loads(result.stdout)
    assert article["native_id"] == HOSTILE["native_id"]
    assert article["title"] == HOSTILE["title"]
    assert article["url"].endswith("/" + HOSTILE["native_id"])  # Binance URLs end in the code
    connection = connect(warehouse)
    for view in ("articles", "article_versions", "mentions", "runs", "quarantine"):
        connection.execute(f"select count(*) from {view}").fetchone()
    assert connection.execute("select count(*) from article_versions").fetchone()[0] == 1
    assert newest_published_at(warehouse, "binance") is not None
    assert story_candidates(warehouse, newest_published_at(warehouse, "binance"))
