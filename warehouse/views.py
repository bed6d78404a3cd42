"""DuckDB over the Parquet files: the views every reader sees.

Each table is a committed snapshot plus a delta. Compaction writes, per partition, the
table's rows already deduplicated (for ``articles``: the current row of each article, and
the older distinct versions beside it) and commits them in a table manifest written
last. Every file the manifest neither holds nor covers is delta: rows written since. The
views read the snapshot as it is and deduplicate only the delta, among itself and
against the snapshot rows it touches, so a filter on ``source`` or ``published_at``
prunes files and row groups instead of waiting behind a window over all history.

A connection resolves the manifest and the file list when it is opened (or when
:func:`create_views` runs again): it reads one consistent state of the warehouse.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from warehouse.layout import warehouse_root
from warehouse.schemas import TABLES, TableSpec

MANIFESTS = ".snapshots"


@dataclass(frozen=True)
class Dedup:
    """One row per ``key``: the first by ``order`` (``(column, descending)`` pairs) wins."""

    key: tuple[str, ...]
    order: tuple[tuple[str, bool], ...]

    def window(self, prefix: str = "") -> str:
        """The ``QUALIFY`` clause; ``prefix`` adds columns that break ties before the rest."""
        partition = ", ".join(self.key)
        order = ", ".join(f"{name} {'DESC' if desc else 'ASC'}" for name, desc in self.order)
        return f"QUALIFY row_number() OVER (PARTITION BY {partition} ORDER BY {order}{prefix}) = 1"

    def same_key(self, left: str, right: str) -> str:
        """Join condition on the key; NULL keys group together, as in ``PARTITION BY``."""
        return " AND ".join(f"{left}.{k} IS NOT DISTINCT FROM {right}.{k}" for k in self.key)


DEDUP: dict[str, Dedup] = {
    "articles": Dedup(("article_id",), (("fetched_at", True), ("content_hash", False))),
    "comments": Dedup(("comment_id",), (("fetched_at", True),)),
    "mentions": Dedup(
        ("article_id", "content_hash", "field", "kind", "start_offset", "end_offset"),
        (("fetched_at", False),),
    ),
    "raw_pages": Dedup(("raw_id",), (("fetched_at", False),)),
    "runs": Dedup(("run_id", "source"), (("finished_at", False),)),
    "quarantine": Dedup(("quarantine_id",), (("failed_at", False),)),
}
# Every distinct content of an article: its first fetch.
VERSIONS = Dedup(("article_id", "content_hash"), (("fetched_at", False),))


@dataclass(frozen=True)
class Manifest:
    """A committed snapshot of one table, per partition (``source=…/month=…``).

    ``current``: files of rows already one per key. ``history`` (articles only): the
    first fetch of every distinct version that is not its article's current row.
    ``covers``: files whose rows the snapshot holds, deleted after the retention.
    """

    generation: int
    written_at: datetime
    current: dict[str, list[str]] = field(default_factory=dict)
    history: dict[str, list[str]] = field(default_factory=dict)
    covers: dict[str, list[str]] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(
            {
                "generation": self.generation,
                "written_at": self.written_at.isoformat(),
                "current": self.current,
                "history": self.history,
                "covers": self.covers,
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        record = json.loads(text)
        return cls(
            generation=record["generation"],
            written_at=datetime.fromisoformat(record["written_at"]),
            current=record["current"],
            history=record["history"],
            covers=record["covers"],
        )


def manifest_dir(root: Path, spec: TableSpec) -> Path:
    return root / spec.name / MANIFESTS


def manifest_path(root: Path, spec: TableSpec, generation: int) -> Path:
    return manifest_dir(root, spec) / f"{generation:010d}.json"


def latest_manifest(root: Path, spec: TableSpec) -> Manifest | None:
    """The newest committed manifest; one is written whole or not at all."""
    names = sorted(path.name for path in manifest_dir(root, spec).glob("*.json"))
    return Manifest.from_json((manifest_dir(root, spec) / names[-1]).read_text()) if names else None


def _subdirs(directory: Path, prefix: str) -> list[str]:
    try:
        with os.scandir(directory) as entries:
            return sorted(e.name for e in entries if e.is_dir() and e.name.startswith(prefix))
    except FileNotFoundError:
        return []


def partitions(
    root: Path,
    spec: TableSpec,
    source: str | None = None,
    month: Callable[[str], bool] | None = None,
) -> list[str]:
    """Partition folders (``source=…/month=…`` or ``month=…``), optionally filtered."""
    base = root / spec.name
    if spec.by_source:
        sources = [f"source={source}"] if source else _subdirs(base, "source=")
        found = [f"{s}/{m}" for s in sources for m in _subdirs(base / s, "month=")]
    else:
        found = _subdirs(base, "month=")
    if month is None:
        return found
    return [name for name in found if month(name.rsplit("month=", 1)[1])]


def parquet_names(directory: Path) -> list[str]:
    """Committed files only: temporary files start with a dot and end in ``.tmp``."""
    with os.scandir(directory) as entries:
        return sorted(e.name for e in entries if e.name.endswith(".parquet") and e.is_file())


@dataclass(frozen=True)
class TableFiles:
    """The files a reader uses now: the snapshot (current, history) and the delta."""

    current: list[Path]
    history: list[Path]
    delta: list[Path]

    @property
    def every(self) -> list[Path]:
        return self.current + self.history + self.delta

    @property
    def latest(self) -> list[Path]:
        """Files that can hold a key's winning row: history rows never win."""
        return self.current + self.delta


def live_files(
    root: Path,
    spec: TableSpec,
    source: str | None = None,
    month: Callable[[str], bool] | None = None,
    manifest: Manifest | None = None,
) -> TableFiles:
    """Resolve the latest manifest against the folders: snapshot files and delta files."""
    manifest = manifest or latest_manifest(root, spec)
    current, history, delta = [], [], []
    for partition in partitions(root, spec, source, month):
        directory = root / spec.name / partition
        held_current = set(manifest.current.get(partition, ())) if manifest else set()
        held_history = set(manifest.history.get(partition, ())) if manifest else set()
        covered = set(manifest.covers.get(partition, ())) if manifest else set()
        for name in parquet_names(directory):
            path = directory / name
            if name in held_current:
                current.append(path)
            elif name in held_history:
                history.append(path)
            elif name not in covered:
                delta.append(path)
    return TableFiles(current, history, delta)


def read_files(paths: Iterable[Path], filename: bool = False) -> str:
    """``read_parquet`` over explicit files, with the partition columns from their folders."""
    listed = ", ".join(_quote(str(path)) for path in paths)
    return (
        f"read_parquet([{listed}], hive_partitioning = true, union_by_name = true, "
        f"filename = {str(filename).lower()})"
    )


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def current_rows(snapshot: str | None, delta: str | None, dedup: Dedup) -> str | None:
    """SQL of one row per key over ``snapshot`` (already one per key) and ``delta``.

    Snapshot rows the delta does not touch pass through; the few it touches compete
    with the delta rows under the table's own order, the snapshot winning exact ties.
    """
    if delta is None:
        return snapshot and f"SELECT * FROM {snapshot}"
    if snapshot is None:
        return f"SELECT * FROM {delta} {dedup.window()}"
    return f"""
        SELECT s.* FROM {snapshot} AS s ANTI JOIN {delta} AS d ON {dedup.same_key("s", "d")}
        UNION ALL BY NAME
        SELECT * EXCLUDE (_layer) FROM (
            SELECT s.*, 0 AS _layer FROM {snapshot} AS s
            SEMI JOIN {delta} AS d ON {dedup.same_key("s", "d")}
            UNION ALL BY NAME
            SELECT *, 1 AS _layer FROM {delta}
        ) {dedup.window(", _layer")}"""


def versions_snapshot(current: str | None, history: str | None) -> str | None:
    """First fetch of every distinct content: history, plus current rows history lacks."""
    if current is None or history is None:
        return current or history
    return f"""(
        SELECT * FROM {history}
        UNION ALL BY NAME
        SELECT c.* FROM {current} AS c ANTI JOIN {history} AS h
            ON {VERSIONS.same_key("c", "h")})"""


_ON_TOP = {
    "mentions": """
        SELECT m.* FROM _mentions_current AS m
        SEMI JOIN articles AS a
            ON m.article_id = a.article_id AND m.content_hash = a.content_hash""",
}


def _files_view(connection: duckdb.DuckDBPyConnection, name: str, paths: list[Path]) -> str | None:
    """A view over ``paths`` when there are any; the name to select from, else None."""
    if not paths:
        return None
    connection.execute(
        f"CREATE OR REPLACE VIEW {name} AS SELECT * EXCLUDE (month) FROM {read_files(paths)}"
    )
    return name


def create_views(connection: duckdb.DuckDBPyConnection, root: Path) -> None:
    """(Re)create every view over the warehouse as it is now."""
    for name, spec in TABLES.items():
        files = live_files(root, spec)
        snapshot = _files_view(connection, f"_{name}_snapshot", files.current)
        history = _files_view(connection, f"_{name}_history", files.history)
        delta = _files_view(connection, f"_{name}_delta", files.delta)
        empty = f"_{name}_empty"
        connection.register(empty, spec.schema.empty_table())
        stored = [relation for relation in (snapshot, history, delta) if relation]
        rows = " UNION ALL BY NAME ".join(f"SELECT * FROM {r}" for r in stored)
        connection.execute(f"CREATE OR REPLACE VIEW _{name}_rows AS {rows or f'FROM {empty}'}")
        view = name if name not in _ON_TOP else f"_{name}_current"
        current = current_rows(snapshot, delta, DEDUP[name])
        connection.execute(f"CREATE OR REPLACE VIEW {view} AS {current or f'FROM {empty}'}")
        if name == "articles":
            versions = current_rows(versions_snapshot(snapshot, history), delta, VERSIONS)
            connection.execute(
                f"CREATE OR REPLACE VIEW article_versions AS {versions or f'FROM {empty}'}"
            )
    for name, query in _ON_TOP.items():
        connection.execute(f"CREATE OR REPLACE VIEW {name} AS {query}")


def utc_connection() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection that reads and shows every time in UTC.

    Parquet footers are cached: a view over hundreds of snapshot files then binds
    without reopening each one for every query.
    """
    connection = duckdb.connect(
        config={"autoinstall_known_extensions": False, "autoload_known_extensions": False}
    )
    connection.execute("SET TimeZone = 'UTC'")
    connection.execute("SET parquet_metadata_cache = true")
    return connection


def connect(root: str | Path | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with the warehouse views, times in UTC."""
    connection = utc_connection()
    create_views(connection, warehouse_root(root))
    return connection


READ_ONLY_TYPES = frozenset({duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN})


def read_only_statements(query: str) -> list[duckdb.Statement]:
    """The query's statements, refusing anything that could write or load."""
    statements = duckdb.extract_statements(query)
    if not statements:
        raise ValueError("empty query")
    for statement in statements:
        if statement.type not in READ_ONLY_TYPES:
            raise ValueError(
                f"only read-only queries (SELECT, EXPLAIN) are allowed, not {statement.type.name}"
            )
    return statements
