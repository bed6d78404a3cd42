"""The current-state layout: views equal the old full-history definition, whatever happens.

The reference is the definition the views had before snapshots: a window over every row
ever written. Every test writes real Parquet through the writer and reads it with DuckDB.
"""

from __future__ import annotations

import hashlib
import shutil
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from warehouse import compaction, connect
from warehouse.compaction import compact
from warehouse.layout import month_key
from warehouse.schemas import ARTICLES, SCHEMA_VERSION, TABLES, TableSpec
from warehouse.state import (
    PAYLOAD_MEMORY,
    newest_published_at,
    processed_payloads,
    story_candidates,
)
from warehouse.versions import stored_versions
from warehouse.views import Manifest, utc_connection
from warehouse.writer import write_rows

COLUMNS = ", ".join(ARTICLES.names)
REFERENCE = {
    "articles": """SELECT * FROM rows QUALIFY row_number() OVER (
        PARTITION BY article_id ORDER BY fetched_at DESC, content_hash) = 1""",
    "article_versions": """SELECT * FROM rows QUALIFY row_number() OVER (
        PARTITION BY article_id, content_hash ORDER BY fetched_at) = 1""",
}
START = datetime(2024, 11, 20, tzinfo=UTC)
LATER = timedelta(hours=1)  # past the retention: a compaction then removes replaced files


def version(article: int, edit: int, fetched: int) -> dict[str, Any]:
    """An article's content; its published_at (hence partition) may move with an edit."""
    published = START + timedelta(days=45 * ((article + edit) % 5))
    title = f"Article {article} edit {edit}"
    return {
        "article_id": f"a{article}",
        "source": ("binance", "okx")[article % 2],
        "title": title,
        "body_text": f"{title}: upgrade maintenance" if edit % 2 else title,
        "published_at": published,
        "fetched_at": START + timedelta(minutes=fetched),
        "content_hash": hashlib.sha256(f"{title}{published}".encode()).hexdigest()[:16],
        "schema_version": SCHEMA_VERSION,
    }


class Warehouse:
    """A warehouse and every row ever written to it, for the reference."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.rows: list[dict[str, Any]] = []
        self.fetched = 0

    def write(self, batch: list[tuple[int, int]]) -> None:
        rows = []
        for article, edit in batch:
            self.fetched += 1
            rows.append(version(article, edit, self.fetched))
        self.rows += rows
        write_rows(self.root, TABLES["articles"], rows)

    def rewrite(self, count: int) -> None:
        """A second writer lands rows already stored, as two overlapping runs would."""
        again = self.rows[-count:]
        self.rows += again
        write_rows(self.root, TABLES["articles"], again)

    def reference(self, view: str) -> list[tuple[Any, ...]]:
        connection = utc_connection()
        connection.register("rows", pa.Table.from_pylist(self.rows, schema=ARTICLES))
        return sorted(connection.execute(f"SELECT {COLUMNS} FROM ({REFERENCE[view]})").fetchall())


def seen(root: Path, view: str) -> list[tuple[Any, ...]]:
    return sorted(connect(root).execute(f"SELECT {COLUMNS} FROM {view}").fetchall())


def assert_same(store: Warehouse) -> None:
    for view in REFERENCE:
        assert seen(store.root, view) == store.reference(view), view


steps = st.lists(
    st.one_of(
        st.tuples(
            st.just("write"),
            st.lists(st.tuples(st.integers(0, 7), st.integers(0, 3)), min_size=1, max_size=6),
        ),
        st.tuples(st.just("rewrite"), st.integers(1, 3)),
        st.tuples(st.just("compact"), st.integers(1, 2)),
        st.tuples(st.just("vacuum"), st.integers(1, 2)),
    ),
    min_size=1,
    max_size=8,
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=steps)
def test_views_equal_the_full_history_definition(tmp_path: Path, steps: list[tuple[str, Any]]):
    root = tmp_path / "warehouse"
    shutil.rmtree(root, ignore_errors=True)
    store = Warehouse(root)
    store.write([(0, 0)])
    for step, argument in steps:
        if step == "write":
            store.write(argument)
        elif step == "rewrite":
            store.rewrite(argument)
        elif step == "compact":
            compact(root, min_files=argument)
        else:
            compact(root, min_files=argument, now=datetime.now(UTC) + LATER)
        assert_same(store)


def history(root: Path) -> Warehouse:
    """Three compactions deep: snapshots, history files, edits moving between years."""
    store = Warehouse(root)
    for round_number in range(3):
        store.write([(article, round_number) for article in range(12)])
        store.write([(article, round_number + 1) for article in range(0, 12, 3)])
        compact(root, min_files=1)
    store.write([(article, 5) for article in range(4)])
    return store


def test_readers_during_compaction_never_see_a_duplicate_or_a_loss(warehouse: Path):
    """Readers run through every compaction; not through a vacuum, which ``now`` past the
    retention makes remove at once what a reader may just have listed (the retention is
    what protects a reader: no query is older than it)."""
    store = history(warehouse)
    expected = {view: store.reference(view) for view in REFERENCE}
    failures: list[object] = []
    reads = 0
    done = threading.Event()
    vacuum = threading.Lock()

    def read() -> None:
        nonlocal reads
        while not done.is_set():
            for view in REFERENCE:
                with vacuum:
                    got = seen(warehouse, view)
                if got != expected[view]:
                    failures.append((view, len(got), len(expected[view])))
            reads += 1

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for _ in range(3):
            compact(warehouse, min_files=1)
            store.rewrite(5)  # new files for the next compaction, the same rows
            compact(warehouse, min_files=1)
            with vacuum:
                compact(warehouse, min_files=1, now=datetime.now(UTC) + LATER)
    finally:
        done.set()
        reader.join()
    assert reads > 0 and not failures


class CrashError(Exception):
    """The process dying at one step of compaction."""


def test_a_crash_at_each_step_of_compaction_leaves_a_correct_state(
    warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    store = history(warehouse)
    written: list[Path] = []
    real_write = compaction.write_parquet_atomic

    def counting(table: pa.Table, directory: Path, **options: Any) -> Path:
        written.append(real_write(table, directory, **options))
        return written[-1]

    template = tmp_path / "template"
    shutil.copytree(warehouse, template)
    monkeypatch.setattr(compaction, "write_parquet_atomic", counting)
    compact(warehouse, min_files=1)
    steps = len(written)
    assert steps > 2, "the compaction must write several files for the test to mean much"
    monkeypatch.undo()

    for crash_at in range(steps + 1):  # after each file, and just before the commit
        shutil.rmtree(warehouse)
        shutil.copytree(template, warehouse)
        calls = 0

        def crashing(
            table: pa.Table, directory: Path, crash_at: int = crash_at, **options: Any
        ) -> Path:
            nonlocal calls
            if calls == crash_at:
                raise CrashError
            calls += 1
            return real_write(table, directory, **options)

        def no_commit(*_: object) -> bool:
            raise CrashError

        monkeypatch.setattr(compaction, "write_parquet_atomic", crashing)
        monkeypatch.setattr(compaction, "_commit", no_commit)
        with pytest.raises(CrashError):
            compact(warehouse, min_files=1)
        monkeypatch.undo()
        assert_same(store)  # orphans of the crashed run read as duplicates, hidden
        compact(warehouse, min_files=1)
        compact(warehouse, min_files=1, now=datetime.now(UTC) + LATER)
        assert_same(store)


def test_a_losing_concurrent_compaction_removes_its_files(
    warehouse: Path, monkeypatch: pytest.MonkeyPatch
):
    store = history(warehouse)
    store.write([(article, 7) for article in range(3)])
    before = sorted(warehouse.rglob("*.parquet"))
    real_latest = compaction.latest_manifest

    def then_another_commits(root: Path, spec: TableSpec) -> Manifest | None:
        """Another compaction commits the next generation right after this one read."""
        manifest = real_latest(root, spec)
        if manifest is None:  # tables without files yet
            return None
        won = Manifest(manifest.generation + 1, datetime.now(UTC), manifest.current,
                       manifest.history, manifest.covers, manifest.schemas)  # fmt: skip
        compaction.manifest_path(root, spec, won.generation).write_text(won.to_json())
        return manifest

    monkeypatch.setattr(compaction, "latest_manifest", then_another_commits)
    assert compact(warehouse, min_files=1) == []
    monkeypatch.undo()
    assert sorted(warehouse.rglob("*.parquet")) == before
    assert_same(store)


def full_scan(root: Path, table: str, query: str, parameters: list[object]) -> list[Any]:
    """``query`` over every file of ``table`` ever written and still there, as ``t``."""
    paths = [str(path) for path in (root / table).rglob("*.parquet")]
    connection = utc_connection()
    relation = f"read_parquet({paths!r}, union_by_name = true, hive_partitioning = false)"
    return connection.execute(query.replace("{t}", relation), parameters).fetchall()


def test_incremental_state_equals_a_full_scan(warehouse: Path):
    store = history(warehouse)
    moments = [START + timedelta(days=20 * n) for n in range(6)]
    pages = [
        {"raw_id": f"p{n}", "source": "binance", "sha256": f"s{n}", "run_id": f"r{n}",
         "fetched_at": moment}
        for n, moment in enumerate(moments)
    ]  # fmt: skip
    finished = [
        {"run_id": f"r{n}", "source": "binance", "started_at": moments[n] - timedelta(minutes=1)}
        for n in (0, 2, 3, 5)  # r1 and r4 crashed before their runs row
    ]
    write_rows(warehouse, TABLES["raw_pages"], pages[:3])
    write_rows(warehouse, TABLES["runs"], finished[:2])
    compact(warehouse, min_files=1)
    write_rows(warehouse, TABLES["raw_pages"], pages[3:])
    write_rows(warehouse, TABLES["runs"], finished[2:])
    for source in ("binance", "okx"):
        ((newest,),) = full_scan(
            warehouse, "articles", "SELECT max(published_at) FROM {t} WHERE source = ?", [source]
        )
        assert newest_published_at(warehouse, source) == newest
    since = START + timedelta(days=30)
    payloads = full_scan(
        warehouse, "raw_pages",
        "SELECT DISTINCT sha256 FROM {t}"
        " WHERE run_id IN ('r0', 'r2', 'r3', 'r5') AND fetched_at >= ?",
        [since],
    )  # fmt: skip
    assert processed_payloads(warehouse, "binance", now=since + PAYLOAD_MEMORY) == {
        sha for (sha,) in payloads
    }
    assert processed_payloads(warehouse, "binance", now=since + PAYLOAD_MEMORY) == {
        "s2",
        "s3",
        "s5",
    }
    ids = [f"a{article}" for article in range(0, 12, 2)]
    months = {month_key(row["published_at"]) for row in store.rows if row["article_id"] in ids}
    stored = stored_versions(warehouse, "binance", ids, months)
    newest_rows = full_scan(
        warehouse, "articles", """SELECT article_id, content_hash FROM {t}
        WHERE source = 'binance' AND list_contains(?, article_id) QUALIFY row_number() OVER (
            PARTITION BY article_id ORDER BY fetched_at DESC) = 1""", [ids],
    )  # fmt: skip
    assert {(row["article_id"], row["content_hash"]) for row in stored.values()} == set(newest_rows)
    stories = full_scan(
        warehouse, "articles", """SELECT coalesce(story_id, article_id), fingerprint FROM {t}
        WHERE fingerprint IS NOT NULL AND published_at >= ? QUALIFY row_number() OVER (
            PARTITION BY article_id ORDER BY fetched_at DESC) = 1""", [since],
    )  # fmt: skip
    assert sorted(story_candidates(warehouse, since)) == sorted(stories)
