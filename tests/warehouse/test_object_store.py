"""The warehouse on an object store: a real S3-compatible server (moto) on 127.0.0.1.

The same write path, views, compaction, search and CLI as on a folder, against
``s3://bucket/prefix``; what differs (no rename, conditional commits, a local index and
catalog) is checked where it differs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from upath import UPath

from tests.s3_server import S3Server, s3_server
from warehouse import catalog, connect, search
from warehouse.compaction import compact
from warehouse.layout import warehouse_root
from warehouse.schemas import TABLES
from warehouse.state import newest_published_at
from warehouse.versions import ArticleVersion, upsert_articles
from warehouse.views import confined_connection, latest_manifest
from warehouse.writer import WarehouseWriteError, write_atomic, write_rows

REPO = Path(__file__).resolve().parents[2]
PUBLISHED = datetime(2026, 11, 1, 8, tzinfo=UTC)


@pytest.fixture(scope="module")
def server() -> Iterator[S3Server]:
    with s3_server() as running:
        yield running


@pytest.fixture
def s3_root(server: S3Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> UPath:
    """A fresh bucket as the warehouse; the local cache in the test's folder."""
    for name, value in server.environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("EXNEWS_CACHE", str(tmp_path / "cache"))
    return warehouse_root(f"s3://{server.bucket()}/warehouse")


def article(article_id: str, title: str = "Notice", **overrides: object) -> dict:
    return {
        "article_id": article_id,
        "source": "binance",
        "native_id": article_id,
        "title": title,
        "body_text": f"{title}: the body.",
        "category": "other",
        "language": "en",
        "published_at": PUBLISHED,
        "fetched_at": PUBLISHED + timedelta(hours=1),
        **overrides,
    }


def land(root: UPath, *rows: dict) -> None:
    upsert_articles(root, "binance", [ArticleVersion(dict(row)) for row in rows])


def objects(root: UPath) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def titles(root: UPath) -> list[tuple[str, str]]:
    query = "select article_id, title from articles order by article_id"
    return connect(root).execute(query).fetchall()


@pytest.mark.parametrize(
    ("text", "kind"),
    [("s3://bucket/prefix", "S3Path"), ("/srv/exnews", "PosixUPath"), ("data", "PosixUPath")],
)
def test_a_folder_or_an_s3_url_is_a_warehouse(text: str, kind: str):
    root = warehouse_root(text)
    assert type(root).__name__ == kind
    assert str(root) == text


def test_aws_region_is_the_s3_clients_region(monkeypatch: pytest.MonkeyPatch):
    """botocore reads only ``AWS_DEFAULT_REGION``; the standard ``AWS_REGION`` must count."""
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.setenv("AWS_REGION", "eu-west-3")
    assert warehouse_root("s3://bucket/prefix").fs.client_kwargs == {"region_name": "eu-west-3"}


def test_an_unknown_scheme_is_one_clear_error():
    with pytest.raises(ValueError, match="warehouse 'nosuch://bucket/x'"):
        warehouse_root("nosuch://bucket/x")


def test_rows_land_as_whole_objects_and_versions_read_back(s3_root: UPath):
    land(s3_root, article("a1"), article("a2"))
    land(s3_root, article("a1", title="Changed"), article("a2"))  # a2 unchanged: not stored
    assert titles(s3_root) == [("a1", "Changed"), ("a2", "Notice")]
    stored = objects(s3_root)
    assert all(name.endswith(".parquet") for name in stored), stored  # no temporary objects
    assert len([name for name in stored if name.startswith("articles/")]) == 2
    versions = connect(s3_root).execute("select count(*) from article_versions").fetchone()[0]
    assert versions == 3
    assert newest_published_at(s3_root, "binance") == PUBLISHED


def test_compaction_commits_a_manifest_and_vacuums_on_the_store(s3_root: UPath):
    for number in range(5):
        land(s3_root, article(f"a{number}"))
    land(s3_root, article("a0", title="Edited"))
    before = titles(s3_root)
    results = compact(s3_root)
    assert [(r.table, r.files_before, r.files_after) for r in results] == [("articles", 6, 2)]
    manifest = latest_manifest(s3_root, TABLES["articles"])
    assert manifest is not None and manifest.generation == 1
    assert titles(s3_root) == before  # the replaced files are still there for readers
    compact(s3_root, now=datetime.now(UTC) + timedelta(hours=1))
    left = [name for name in objects(s3_root) if name.startswith("articles/source=")]
    assert len(left) == 2 and all("/year=2026/" in name for name in left), left
    assert titles(s3_root) == before


def test_a_generation_is_committed_once_by_a_conditional_put(s3_root: UPath):
    manifest = s3_root / "articles" / ".snapshots" / "0000000001.json"
    write_atomic(manifest, lambda handle: handle.write(b'{"first": true}'), exclusive=True)
    with pytest.raises(FileExistsError):
        write_atomic(manifest, lambda handle: handle.write(b'{"second": true}'), exclusive=True)
    assert json.loads(manifest.read_text()) == {"first": True}


def test_exnews_sql_reads_the_bucket_prefix_and_nothing_beside_it(s3_root: UPath):
    land(s3_root, article("a1"))
    outside = s3_root.parent / "elsewhere"
    land(outside, article("secret"))
    connection = confined_connection(s3_root)
    assert connection.execute("select article_id from articles").fetchall() == [("a1",)]
    with pytest.raises(duckdb.PermissionException):
        connection.execute(f"select * from read_parquet('{outside}/articles/*/*/*.parquet')")
    inside = f"select count(*) from read_parquet('{s3_root}/articles/*/*/*.parquet')"
    assert connection.execute(inside).fetchone() == (1,)


def test_search_keeps_a_local_index_caught_up_with_the_store(s3_root: UPath, tmp_path: Path):
    land(s3_root, article("a1", title="Listing of Foo"))
    assert [hit.article_id for hit in search.search(s3_root, "foo")] == ["a1"]
    assert search.index_dir(s3_root).is_relative_to(tmp_path / "cache")
    # Another machine lands an article: the next search here finds it without a rebuild.
    land(s3_root, article("a2", title="Foo delisted"))
    assert sorted(hit.article_id for hit in search.search(s3_root, "foo")) == ["a1", "a2"]
    assert not any(name.startswith("search/") for name in objects(s3_root))


def test_the_catalog_of_a_remote_warehouse_is_a_local_file(s3_root: UPath, tmp_path: Path):
    land(s3_root, article("a1"))
    path = catalog.refresh(s3_root)
    assert path.is_relative_to(tmp_path / "cache") and path.name == "exnews.duckdb"
    connection = duckdb.connect(str(path), read_only=True)
    connection.register_filesystem(s3_root.fs)  # what httpfs and a secret do elsewhere
    assert connection.execute("select article_id from articles").fetchall() == [("a1",)]


def _exnews(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flows", *arguments],
        capture_output=True, text=True, timeout=180, cwd=REPO, env=dict(os.environ),
    )  # fmt: skip


def test_exnews_sql_and_search_on_the_command_line(s3_root: UPath):
    land(s3_root, article("a1", title="Maintenance of Bar"), article("a2"))
    result = _exnews("sql", "select count(*) as n from articles", "-f", "json", "-w", str(s3_root))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [{"n": 2}]
    found = _exnews("search", "maintenance", "-f", "json", "-w", str(s3_root))
    assert found.returncode == 0, found.stderr
    assert [hit["article_id"] for hit in json.loads(found.stdout)] == ["a1"]


def test_a_missing_bucket_is_one_clear_write_error(s3_root: UPath):
    root = warehouse_root("s3://exnews-no-such-bucket/warehouse")
    row = {**article("a1"), "content_hash": "h"}
    with pytest.raises(WarehouseWriteError, match=r"bucket does not exist.*no-such-bucket/"):
        write_rows(root, TABLES["articles"], [row])
    assert titles(s3_root) == []  # the warehouse that exists is untouched
