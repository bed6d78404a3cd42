"""Compaction: rewrite each changed partition as its current state, commit it in a manifest.

Per partition with new files, the rows become one file already deduplicated by the
table's key (for ``articles`` the current row of each article, plus one file of the
older distinct versions), sorted by the partition's time column so that row-group
min/max prune time filters. The new files are written first under fresh names; the
table manifest that names them, and the files they replace, is committed last with an
exclusive link. Until then readers count the new files as delta and deduplicate them;
after it, they skip the replaced files. A crash at any step leaves either state, whole.

Replaced files stay until the manifest that replaced them is ``retention`` old: a query
that resolved the older state keeps finding them, as with Delta Lake's VACUUM.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from warehouse.schemas import TABLES, TableSpec
from warehouse.views import (
    DEDUP,
    VERSIONS,
    Manifest,
    TableFiles,
    current_rows,
    latest_manifest,
    live_files,
    manifest_dir,
    manifest_path,
    parquet_names,
    read_files,
    utc_connection,
    versions_snapshot,
)
from warehouse.writer import TEMP_SUFFIX, write_parquet_atomic
from warehouse.writer import _fsync_dir as fsync_dir

DEFAULT_RETENTION = timedelta(minutes=30)


@dataclass(frozen=True)
class PartitionCompaction:
    """Live files and bytes before and after; ``files_removed``: replaced files deleted now."""

    table: str
    partition: str
    files_before: int
    bytes_before: int
    files_after: int
    bytes_after: int
    rows: int
    files_removed: int


def _by_partition(root: Path, spec: TableSpec, files: TableFiles) -> dict[str, TableFiles]:
    grouped: dict[str, TableFiles] = defaultdict(lambda: TableFiles([], [], []))
    for kind in ("current", "history", "delta"):
        for path in getattr(files, kind):
            getattr(grouped[path.parent.relative_to(root / spec.name).as_posix()], kind).append(
                path
            )
    return dict(grouped)


def _vacuum(root: Path, spec: TableSpec, now: datetime, retention: timedelta) -> Counter[str]:
    """Delete what manifests older than ``retention`` replaced; drop superseded manifests."""
    removed: Counter[str] = Counter()
    paths = sorted(manifest_dir(root, spec).glob("*.json"))
    for path in paths:
        manifest = Manifest.from_json(path.read_text())
        if now - manifest.written_at < retention:
            break
        for partition, names in manifest.covers.items():
            for name in names:
                try:
                    (root / spec.name / partition / name).unlink()
                except FileNotFoundError:  # gone already, or a concurrent run was first
                    continue
                removed[partition] += 1
        if path != paths[-1]:
            path.unlink(missing_ok=True)
    return removed


def _select(spec: TableSpec, relation: str, columns: set[str]) -> str:
    """The table's columns in schema order; a column older files lack comes back null."""
    listed = [name if name in columns else f"NULL AS {name}" for name in spec.schema.names]
    return f"SELECT {', '.join(listed)} FROM ({relation})"


def _view(connection: duckdb.DuckDBPyConnection, name: str, paths: list[Path]) -> str | None:
    if not paths:
        return None
    connection.execute(
        f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * EXCLUDE (month) FROM {read_files(paths)}"
    )
    return name


def _displaced(
    connection: duckdb.DuckDBPyConnection,
    root: Path,
    spec: TableSpec,
    current: list[Path],
    delta: list[Path],
) -> dict[str, pa.Table]:
    """Per partition, keys of its snapshot or delta rows whose newest row lies elsewhere.

    An article whose ``published_at`` moved to another month has rows in two partitions;
    the snapshot keeps it only where it wins, so snapshot rows stay one per key overall.
    """
    dedup = DEDUP[spec.name]
    columns = ", ".join(dict.fromkeys([*dedup.key, *(name for name, _ in dedup.order)]))
    rows = f"SELECT {columns}, 1 AS _layer, filename FROM {read_files(delta, filename=True)}"
    if current:
        rows = f"""
            SELECT {columns}, 0 AS _layer, filename
            FROM {read_files(current, filename=True)} AS s
            SEMI JOIN ({rows}) AS d ON {dedup.same_key("s", "d")}
            UNION ALL BY NAME {rows}"""
    key = ", ".join(dedup.key)
    found = connection.sql(
        f"""
        WITH c AS (SELECT * EXCLUDE (filename), parse_dirpath(filename) AS dir FROM ({rows})),
        spread AS (SELECT {key} FROM c GROUP BY ALL HAVING count(DISTINCT dir) > 1),
        contested AS (SELECT c.* FROM c SEMI JOIN spread AS s ON {dedup.same_key("c", "s")}),
        winners AS (SELECT {key}, dir FROM contested {dedup.window(", _layer")})
        SELECT DISTINCT c.dir, {", ".join(f"c.{name}" for name in dedup.key)}
        FROM contested AS c JOIN winners AS w ON {dedup.same_key("c", "w")}
        WHERE c.dir <> w.dir
        """
    ).to_arrow_table()
    displaced = {}
    for directory in set(found.column("dir").to_pylist()):
        partition = Path(directory).relative_to(root / spec.name).as_posix()
        mask = pc.equal(found.column("dir"), directory)
        displaced[partition] = found.filter(mask).drop_columns(["dir"])
    return displaced


def _write(
    connection: duckdb.DuckDBPyConnection, spec: TableSpec, relation: str, directory: Path
) -> tuple[list[str], int]:
    """Write the rows of ``relation`` as one file sorted by time: its name and row count."""
    columns = {row[0] for row in connection.execute(f"DESCRIBE {relation}").fetchall()}
    query = f"{_select(spec, relation, columns)} ORDER BY {spec.month_column}"
    table = connection.sql(query).to_arrow_table().cast(spec.schema)
    if not table.num_rows:
        return [], 0
    return [write_parquet_atomic(table, directory).name], table.num_rows


def _compact_partition(
    connection: duckdb.DuckDBPyConnection,
    spec: TableSpec,
    directory: Path,
    files: TableFiles,
    displaced: pa.Table | None,
) -> tuple[list[str], list[str], int]:
    """New current and history files of one partition, and how many rows they hold."""
    dedup = DEDUP[spec.name]
    snapshot = _view(connection, "_p_current", files.current)
    history = _view(connection, "_p_history", files.history)
    delta = _view(connection, "_p_delta", files.delta)
    current = current_rows(snapshot, delta, dedup)
    assert current is not None, "a partition is rewritten for its snapshot or delta rows"
    if displaced is not None:
        connection.register("_p_gone", displaced)
        current = f"""
            SELECT c.* FROM ({current}) AS c
            ANTI JOIN _p_gone AS g ON {dedup.same_key("c", "g")}"""
    connection.execute(f"CREATE OR REPLACE TEMP TABLE _p_new AS {current}")
    current_names, rows = _write(connection, spec, "SELECT * FROM _p_new", directory)
    if spec.name != "articles":
        return current_names, [], rows
    versions = current_rows(versions_snapshot(snapshot, history), delta, VERSIONS)
    assert versions is not None
    older = f"""
        SELECT v.* FROM ({versions}) AS v ANTI JOIN _p_new AS c
        ON {VERSIONS.same_key("v", "c")} AND v.fetched_at IS NOT DISTINCT FROM c.fetched_at"""
    history_names, history_rows = _write(connection, spec, older, directory)
    return current_names, history_names, rows + history_rows


def _commit(root: Path, spec: TableSpec, manifest: Manifest) -> bool:
    """Publish ``manifest`` unless a concurrent compaction published its generation first."""
    final = manifest_path(root, spec, manifest.generation)
    final.parent.mkdir(parents=True, exist_ok=True)
    temporary = final.with_name(f".{final.name}{TEMP_SUFFIX}")
    with temporary.open("w", encoding="utf-8") as handle:
        handle.write(manifest.to_json())
        handle.flush()
        os.fsync(handle.fileno())
    try:
        os.link(temporary, final)  # atomic, and fails if the name exists: no overwrite
    except FileExistsError:
        return False
    finally:
        temporary.unlink()
    fsync_dir(final.parent)
    return True


def _footprint(files: TableFiles | None) -> tuple[int, int]:
    paths = files.every if files else []
    return len(paths), sum(path.stat().st_size for path in paths)


def compact_table(
    root: Path,
    spec: TableSpec,
    min_files: int = 2,
    retention: timedelta = DEFAULT_RETENTION,
    now: datetime | None = None,
) -> list[PartitionCompaction]:
    """Vacuum, then rewrite every partition with new files and ``min_files`` live files."""
    now = now or datetime.now(UTC)
    removed = _vacuum(root, spec, now, retention)
    previous = latest_manifest(root, spec)
    before = _by_partition(root, spec, live_files(root, spec, manifest=previous))
    dirty = {
        partition
        for partition, files in before.items()
        if files.delta and _footprint(files)[0] >= min_files
    }
    written: dict[str, tuple[list[str], list[str], int]] = {}
    if dirty:
        connection = utc_connection()
        delta = [path for partition in dirty for path in before[partition].delta]
        current = [path for files in before.values() for path in files.current]
        displaced = _displaced(connection, root, spec, current, delta)
        for partition in sorted(dirty | displaced.keys()):
            written[partition] = _compact_partition(
                connection, spec, root / spec.name / partition, before[partition],
                displaced.get(partition),
            )  # fmt: skip
        if not _commit(root, spec, _next(root, spec, previous, before, written, now)):
            for partition, (current_names, history_names, _) in written.items():
                for name in current_names + history_names:
                    (root / spec.name / partition / name).unlink(missing_ok=True)
            written = {}
    after = _by_partition(root, spec, live_files(root, spec))
    results = []
    for partition in sorted(written.keys() | removed.keys()):
        files_before, bytes_before = _footprint(before.get(partition))
        files_after, bytes_after = _footprint(after.get(partition))
        results.append(
            PartitionCompaction(
                spec.name,
                partition,
                files_before,
                bytes_before,
                files_after,
                bytes_after,
                written.get(partition, ([], [], 0))[2],
                removed[partition],
            )
        )
    return results


def _next(
    root: Path,
    spec: TableSpec,
    previous: Manifest | None,
    before: dict[str, TableFiles],
    written: dict[str, tuple[list[str], list[str], int]],
    now: datetime,
) -> Manifest:
    """The manifest after ``written``: replaced files join the covers still on disk."""
    current = dict(previous.current) if previous else {}
    history = dict(previous.history) if previous else {}
    covers: dict[str, list[str]] = {}
    for partition, names in (previous.covers if previous else {}).items():
        directory = root / spec.name / partition
        on_disk = set(parquet_names(directory)) if directory.is_dir() else set()
        if kept := sorted(on_disk.intersection(names)):
            covers[partition] = kept
    for partition, (current_names, history_names, _) in written.items():
        files = before[partition]
        replaced = [path.name for path in files.every]
        covers[partition] = sorted({*covers.get(partition, []), *replaced})
        current[partition], history[partition] = current_names, history_names
    generation = previous.generation + 1 if previous else 1
    return Manifest(generation, now, current, history, covers)


def compact(
    root: Path,
    min_files: int = 2,
    retention: timedelta = DEFAULT_RETENTION,
    now: datetime | None = None,
) -> list[PartitionCompaction]:
    """Compact every table; report each partition rewritten or vacuumed."""
    return [
        result
        for spec in TABLES.values()
        for result in compact_table(root, spec, min_files, retention, now)
    ]
