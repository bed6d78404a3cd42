"""DuckDB over the Parquet files: the views every reader sees.

Each table is a committed snapshot plus a delta. Compaction writes, per partition, the
table's rows already deduplicated (for ``articles``: the current row of each article, and
the older distinct versions beside it) and commits them in a table manifest written
last. Every file the manifest neither holds nor covers is delta: rows written since. The
views read the snapshot as it is and deduplicate only the delta, among itself and
against the snapshot rows it touches, so a filter on ``source`` or ``published_at``
prunes files and row groups instead of waiting behind a window over all history.

A connection resolves the manifest and the file list when it is opened (or when
:func:`create_views` runs again): it reads one consistent state of the warehouse. The
warehouse may be a folder or an object store (:mod:`warehouse.storage`): listings go
through its filesystem, and DuckDB reads its files through it too.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime

import duckdb

from warehouse.layout import UNKNOWN_MONTH, month_key, warehouse_root
from warehouse.schemas import TABLES, TableSpec
from warehouse.storage import Location, attach, entries, files_under, is_local

MANIFESTS = ".snapshots"


@dataclass(frozen=True)
class Dedup:
    """One row per ``key``: the first by ``order`` (``(column, descending)`` pairs) wins."""

    key: tuple[str, ...]
    order: tuple[tuple[str, bool], ...]

    def window(self, tie_break: str = "") -> str:
        """The ``QUALIFY`` clause; ``tie_break`` (``", column"``) orders exact ties."""
        partition = ", ".join(self.key)
        return (
            f"QUALIFY row_number() OVER (PARTITION BY {partition} ORDER BY "
            f"{self.order_by()}{tie_break}) = 1"
        )

    def order_by(self) -> str:
        """The order whose first row per key wins (a missing value last)."""
        return ", ".join(
            f"{name} {'DESC' if desc else 'ASC'} NULLS LAST" for name, desc in self.order
        )

    def same_key(self, left: str, right: str) -> str:
        """Join condition on the key; NULL keys group together, as in ``PARTITION BY``."""
        return " AND ".join(f"{left}.{k} IS NOT DISTINCT FROM {right}.{k}" for k in self.key)


DEDUP: dict[str, Dedup] = {
    "articles": Dedup(
        ("article_id",), (("fetched_at", True), ("processed_at", True), ("content_hash", False))
    ),
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
    ``schemas``: the schema a partition's snapshot files were written with, so that files
    of one schema are read without reconciling columns file by file.
    """

    generation: int
    written_at: datetime
    current: dict[str, list[str]] = field(default_factory=dict)
    history: dict[str, list[str]] = field(default_factory=dict)
    covers: dict[str, list[str]] = field(default_factory=dict)
    schemas: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(
            {
                "generation": self.generation,
                "written_at": self.written_at.isoformat(),
                "current": self.current,
                "history": self.history,
                "covers": self.covers,
                "schemas": self.schemas,
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
            schemas=record["schemas"],
        )


def manifest_dir(root: Location, spec: TableSpec) -> Location:
    return root / spec.name / MANIFESTS


def manifest_path(root: Location, spec: TableSpec, generation: int) -> Location:
    return manifest_dir(root, spec) / f"{generation:010d}.json"


def manifest_names(root: Location, spec: TableSpec) -> list[str]:
    """Committed manifests, oldest first (the zero-padded generation sorts by name)."""
    return [e.name for e in entries(manifest_dir(root, spec)) if e.name.endswith(".json")]


def latest_manifest(root: Location, spec: TableSpec) -> Manifest | None:
    """The newest committed manifest; one is written whole or not at all."""
    names = manifest_names(root, spec)
    return Manifest.from_json((manifest_dir(root, spec) / names[-1]).read_text()) if names else None


def _subdirs(directory: Location, prefixes: tuple[str, ...]) -> list[str]:
    return [e.name for e in entries(directory) if e.is_dir and e.name.startswith(prefixes)]


def time_key(partition: str) -> str:
    """``2026-11`` of ``…/month=2026-11``, ``2026`` of a snapshot's ``…/year=2026``."""
    return partition.rsplit("=", 1)[1]


def snapshot_partition(partition: str) -> str:
    """Where a partition's rows go when compacted: one folder per source and year."""
    head, _, key = partition.rpartition("month=")
    return f"{head}year={key[:4] if key != UNKNOWN_MONTH else key}" if _ else partition


def months_from(since: datetime) -> Callable[[str], bool]:
    """Time keys (month or year) that can hold a time at or after ``since``."""
    first = month_key(since)
    return lambda key: key != UNKNOWN_MONTH and key >= first[: len(key)]


def in_months(months: Collection[str]) -> Callable[[str], bool]:
    """Time keys (month or year) that can hold a row of one of ``months``."""
    return lambda key: any(month.startswith(key) for month in months)


def partitions(
    root: Location,
    spec: TableSpec,
    source: str | None = None,
    when: Callable[[str], bool] | None = None,
) -> list[str]:
    """Folders that hold files: ``[source=…/]month=…`` (new rows), ``[source=…/]year=…``
    (compacted snapshots); ``when`` keeps those whose time key it accepts."""
    base = root / spec.name
    tops = [""]
    if spec.by_source:
        tops = [f"source={source}/"] if source else [f"{s}/" for s in _subdirs(base, ("source=",))]
    found = [top + sub for top in tops for sub in _subdirs(base / top, ("month=", "year="))]
    return [name for name in found if when is None or when(time_key(name))]


def parquet_names(directory: Location) -> list[str]:
    """Committed files only: temporary files start with a dot and end in ``.tmp``."""
    return [e.name for e in entries(directory) if e.name.endswith(".parquet") and not e.is_dir]


_PARTITION = re.compile(r"^(?:source=[^/]+/)?(?:month|year)=[^/]+$")


def _parquet_by_partition(
    root: Location, spec: TableSpec, source: str | None, when: Callable[[str], bool] | None
) -> dict[str, list[str]]:
    """Committed file names by partition: a folder is read directory by directory, an
    object store in one listing of the table's keys (a round trip per directory would
    cost more than the rows of a small query)."""
    if is_local(root):
        return {
            partition: parquet_names(root / spec.name / partition)
            for partition in partitions(root, spec, source, when)
        }
    found: dict[str, list[str]] = defaultdict(list)
    under = f"source={source}/" if spec.by_source and source else ""
    for relative in files_under(root / spec.name / under):
        partition, _, name = f"{under}{relative}".rpartition("/")
        if not (name.endswith(".parquet") and _PARTITION.match(partition)):
            continue
        if when is None or when(time_key(partition)):
            found[partition].append(name)
    return {partition: sorted(names) for partition, names in sorted(found.items())}


def schema_id(spec: TableSpec) -> str:
    """A short name for the table's schema as this code writes it."""
    return hashlib.sha256(str(spec.schema).encode()).hexdigest()[:12]


@dataclass(frozen=True)
class TableFiles:
    """The files a reader uses now: the snapshot (current, history) and the delta.

    ``schemas``: the schema id of each snapshot file, from the manifest.
    """

    current: list[Location]
    history: list[Location]
    delta: list[Location]
    schemas: dict[Location, str] = field(default_factory=dict)

    @classmethod
    def join(cls, parts: Iterable[TableFiles]) -> TableFiles:
        joined = cls([], [], [])
        for part in parts:
            joined.current.extend(part.current)
            joined.history.extend(part.history)
            joined.delta.extend(part.delta)
            joined.schemas.update(part.schemas)
        return joined

    @property
    def every(self) -> list[Location]:
        return self.current + self.history + self.delta

    @property
    def latest(self) -> list[Location]:
        """Files that can hold a key's winning row: history rows never win."""
        return self.current + self.delta


def live_files(
    root: Location,
    spec: TableSpec,
    source: str | None = None,
    when: Callable[[str], bool] | None = None,
    manifest: Manifest | None = None,
) -> TableFiles:
    """Resolve the latest manifest against the folders: snapshot files and delta files."""
    manifest = manifest or latest_manifest(root, spec)
    current, history, delta = [], [], []
    schemas: dict[Location, str] = {}
    for partition, names in _parquet_by_partition(root, spec, source, when).items():
        directory = root / spec.name / partition
        held_current = set(manifest.current.get(partition, ())) if manifest else set()
        held_history = set(manifest.history.get(partition, ())) if manifest else set()
        covered = set(manifest.covers.get(partition, ())) if manifest else set()
        for name in names:
            path = directory / name
            if manifest and (name in held_current or name in held_history):
                (current if name in held_current else history).append(path)
                schemas[path] = manifest.schemas[partition]
            elif name not in covered:
                delta.append(path)
    return TableFiles(current, history, delta, schemas)


def read_files(
    paths: list[Location],
    filename: bool = False,
    schemas: dict[Location, str] | None = None,
    locate: Callable[[Location], str] | None = None,
) -> str:
    """``read_parquet`` over explicit files (every row names its source and time itself).

    Files of one known schema (``schemas``) are read as one; reconciling columns by name
    file by file (``union_by_name``) costs about 0.1 ms a file, even with cached footers.
    ``locate``: a file's path as SQL (default: the literal path).
    """
    locate = locate or (lambda path: _quote(str(path)))
    groups: dict[str | None, list[Location]] = defaultdict(list)
    for path in paths:
        groups[schemas.get(path) if schemas else None].append(path)
    options = f"hive_partitioning = false, filename = {str(filename).lower()}"
    reads = [
        f"read_parquet([{', '.join(locate(path) for path in group)}], {options}"
        f"{'' if schema else ', union_by_name = true'})"
        for schema, group in groups.items()
    ]
    if len(reads) == 1:
        return reads[0]
    return "(" + " UNION ALL BY NAME ".join(f"SELECT * FROM {read}" for read in reads) + ")"


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


# Columns added to a table after warehouses were written with it (name -> DuckDB type):
# files from before lack them, and reads over such files get them as NULL, so that every
# query can name them (the order of an article's current row above all).
LATE_COLUMNS: dict[str, dict[str, str]] = {
    "articles": {"processed_at": "TIMESTAMPTZ"},
    "raw_pages": {"entry_fingerprint": "VARCHAR"},
}


def late_columns(connection: duckdb.DuckDBPyConnection, source: str, table: str) -> str:
    """Select items (", NULL::type AS name") for the late columns ``source`` lacks."""
    late = LATE_COLUMNS.get(table, {})
    if not late:
        return ""
    present = {row[0] for row in connection.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
    return "".join(
        f", NULL::{kind} AS {name}" for name, kind in late.items() if name not in present
    )


def with_late_columns(connection: duckdb.DuckDBPyConnection, source: str, table: str) -> str:
    """``source`` (a FROM item over ``table``'s files) as one that has its late columns."""
    late = late_columns(connection, source, table)
    return f"(SELECT *{late} FROM {source})" if late else source


def files_view(
    connection: duckdb.DuckDBPyConnection,
    name: str,
    paths: list[Location],
    schemas: dict[Location, str],
    extra: str = "",
    temporary: bool = False,
    locate: Callable[[Location], str] | None = None,
    table: str = "",
) -> str | None:
    """A view over ``paths`` when there are any; the name to select from, else None.

    ``extra``: further select items (they may use the ``filename`` column); ``table``: the
    table the files hold, whose late columns the view then always has.
    """
    if not paths:
        return None
    source = read_files(paths, bool(extra), schemas, locate)
    items = f"*{' EXCLUDE (filename)' if extra else ''}{extra}"
    connection.execute(
        f"""CREATE OR REPLACE {"TEMP " if temporary else ""}VIEW {name} AS
        SELECT {items}{late_columns(connection, source, table)} FROM {source}"""
    )
    return name


def _locator(root: Location, root_variable: str | None) -> Callable[[Location], str] | None:
    """A file's path as SQL under the DuckDB variable's root when set, else under ``root``."""
    if root_variable is None:
        return None
    base = f"coalesce(getvariable({_quote(root_variable)}), {_quote(str(root))})"
    return lambda path: f"{base} || {_quote('/' + path.relative_to(root).as_posix())}"


def _empty(connection: duckdb.DuckDBPyConnection, name: str, spec: TableSpec) -> str:
    """An empty table of the schema: a real table, as a database file keeps no Arrow one."""
    connection.execute(f"DROP TABLE IF EXISTS {name}")
    connection.from_arrow(spec.schema.empty_table()).create(name)
    return f"FROM {name}"


def create_views(
    connection: duckdb.DuckDBPyConnection, root: Location, root_variable: str | None = None
) -> None:
    """(Re)create every view over the files the warehouse holds now.

    With ``root_variable`` the views find the files under that DuckDB variable when it is
    set, else under ``root``: a database file holding them can be opened from anywhere.
    """
    attach(connection, root)
    locate = _locator(root, root_variable)
    for name, spec in TABLES.items():
        files = live_files(root, spec)
        snapshot, history, delta = (
            files_view(
                connection, f"_{name}_{kind}", paths, files.schemas, locate=locate, table=name
            )
            for kind, paths in (
                ("snapshot", files.current),
                ("history", files.history),
                ("delta", files.delta),
            )
        )
        stored = [relation for relation in (snapshot, history, delta) if relation]
        current = current_rows(snapshot, delta, DEDUP[name])
        empty = _empty(connection, f"_{name}_empty", spec) if current is None else ""
        rows = " UNION ALL BY NAME ".join(f"SELECT * FROM {r}" for r in stored)
        connection.execute(f"CREATE OR REPLACE VIEW _{name}_rows AS {rows or empty}")
        view = name if name not in _ON_TOP else f"_{name}_current"
        connection.execute(f"CREATE OR REPLACE VIEW {view} AS {current or empty}")
        if name == "articles":
            versions = current_rows(versions_snapshot(snapshot, history), delta, VERSIONS)
            connection.execute(f"CREATE OR REPLACE VIEW article_versions AS {versions or empty}")
    for name, query in _ON_TOP.items():
        connection.execute(f"CREATE OR REPLACE VIEW {name} AS {query}")


def _database() -> duckdb.DuckDBPyConnection:
    """A fresh in-memory database; Parquet footers are cached, as files never change."""
    database = duckdb.connect(
        config={"autoinstall_known_extensions": False, "autoload_known_extensions": False}
    )
    database.execute("SET GLOBAL parquet_metadata_cache = true")
    database.execute("SET TimeZone = 'UTC'")
    return database


class _SharedDatabase:
    """One database per process for internal reads, opened on first use.

    A process forked from one that opened it (a crawl child of the fork server, which
    imports this module) opens its own: DuckDB's worker threads do not come along through
    a fork, and a query there could wait on them for ever.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.database: duckdb.DuckDBPyConnection | None = None

    def get(self) -> duckdb.DuckDBPyConnection:
        with self.lock:
            if self.database is None:
                self.database = _database()
            return self.database


_SHARED = _SharedDatabase()
os.register_at_fork(after_in_child=_SHARED.__init__)


def utc_connection(root: Location | None = None) -> duckdb.DuckDBPyConnection:
    """A connection for one internal read (of files under ``root``), times in UTC.

    A cursor on one database per process: opening a database costs tens of milliseconds,
    a cursor about one, which is most of what a small state read costs.
    """
    database = _SHARED.get()
    if root is not None:
        attach(database, root)
    with _SHARED.lock:
        connection = database.cursor()
    connection.execute("SET TimeZone = 'UTC'")
    return connection


def connect(root: str | Location | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection of its own with the warehouse views, times in UTC."""
    connection = _database()
    create_views(connection, warehouse_root(root))
    return connection


def confined_connection(root: str | Location | None = None) -> duckdb.DuckDBPyConnection:
    """The views, and no file outside the warehouse: what ``exnews sql`` queries.

    Table functions would otherwise read any file the user can (``read_csv('/etc/passwd')``)
    or any URL. With external access off, DuckDB reads only the allowed folder (or bucket
    prefix) and loads no extension; with the configuration locked, no later statement can
    change any setting.
    """
    folder = warehouse_root(root)
    folder = folder.resolve() if is_local(folder) else folder
    connection = connect(folder)
    connection.execute("SET allowed_directories = ?", [[f"{str(folder).rstrip('/')}/"]])
    connection.execute("SET enable_external_access = false")
    connection.execute("SET lock_configuration = true")
    return connection


READ_ONLY_TYPES = frozenset({"SELECT", "EXPLAIN"})


def _statement_type(statement: duckdb.Statement) -> str:
    """Its type's name, or its first words for a type this duckdb module cannot name."""
    try:
        return statement.type.name
    except ValueError:  # UPDATE EXTENSIONS in duckdb 2.0
        return " ".join(statement.query.split()[:2]).upper()


def read_only_statements(query: str) -> list[duckdb.Statement]:
    """The query's statements, refusing anything that could write or load."""
    statements = duckdb.extract_statements(query)
    if not statements:
        raise ValueError("empty query")
    for statement in statements:
        kind = _statement_type(statement)
        if kind not in READ_ONLY_TYPES:
            raise ValueError(f"only read-only queries (SELECT, EXPLAIN) are allowed, not {kind}")
    return statements
