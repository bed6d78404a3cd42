"""Compaction: rewrite each source-year as its current state, commit it in a manifest.

Per source and year with new rows, the rows become one file already deduplicated by
the table's key (for ``articles`` the current row of each article, plus one file of the
older distinct versions), in ``source=…/year=…``, sorted by the table's time column so
that row-group and file min/max prune time filters. Few large files: a query pays about
a millisecond per file it opens, so per-month snapshots (600 files for ten sources over
five years) would cost more than the rows. The new files are written first under fresh
names; the table manifest that names them, and the files they replace, is committed
last, exclusively: a hard link in a folder, a conditional PUT (``If-None-Match: *``) on an
object store, so of two compactions of one generation only one commits. Until then
readers count the new files as delta and deduplicate them; after it, they skip the
replaced files. A crash at any step leaves one of the two states, whole.

Replaced files stay until the manifest that replaced them is ``retention`` old: a query
that resolved the older state keeps finding them, as with Delta Lake's VACUUM.
The same run removes what killed writers left in a folder: temporary files older than the
retention, which no reader ever saw and no writer will finish (an object store has none).
A compaction the storage refuses removes the files it wrote and raises
:class:`~warehouse.writer.WarehouseWriteError`.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import duckdb
import pyarrow as pa

from warehouse.schemas import TABLES, TableSpec
from warehouse.storage import Location, file_size, is_local
from warehouse.views import (
    DEDUP,
    VERSIONS,
    Manifest,
    TableFiles,
    current_rows,
    files_view,
    latest_manifest,
    live_files,
    manifest_dir,
    manifest_names,
    manifest_path,
    parquet_names,
    schema_id,
    snapshot_partition,
    utc_connection,
    versions_snapshot,
)
from warehouse.writer import TEMP_SUFFIX, write_atomic, write_parquet_atomic

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


def _folder(root: Location, spec: TableSpec, path: Location) -> str:
    return path.parent.relative_to(root / spec.name).as_posix()


def _by_snapshot(root: Location, spec: TableSpec, files: TableFiles) -> dict[str, TableFiles]:
    """Live files by the snapshot partition (source and year) their rows belong to."""
    grouped: dict[str, TableFiles] = defaultdict(lambda: TableFiles([], [], [], files.schemas))
    for kind in ("current", "history", "delta"):
        for path in getattr(files, kind):
            getattr(grouped[snapshot_partition(_folder(root, spec, path))], kind).append(path)
    return dict(grouped)


def _vacuum(root: Location, spec: TableSpec, now: datetime, retention: timedelta) -> Counter[str]:
    """Delete what manifests older than ``retention`` replaced; drop superseded manifests."""
    removed: Counter[str] = Counter()
    paths = [manifest_dir(root, spec) / name for name in manifest_names(root, spec)]
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
                removed[snapshot_partition(partition)] += 1
        if path != paths[-1]:
            path.unlink(missing_ok=True)
    return removed


GROUP_BYTES = 32 << 20  # partitions are rewritten in groups of about this many stored bytes
# Row groups small enough for min/max (time, sorted) and a Bloom filter on the key to
# skip most of a source-year file: a point lookup then reads one group, not the column.
ROW_GROUP_ROWS = 16_384
BLOOM_FPP = 0.01


def _view(
    connection: duckdb.DuckDBPyConnection,
    name: str,
    paths: list[Location],
    table_dir: Location,
    schemas: dict[Location, str],
) -> str | None:
    """A temporary view over ``paths`` (files of the table ``table_dir`` holds);
    ``_partition``: the snapshot partition of a row."""
    folder = f"substr(parse_dirpath(filename), {len(str(table_dir)) + 2})"
    partition = (
        f", regexp_replace({folder}, 'month=(unknown|[0-9]{{4}})(-[0-9]{{2}})?$', 'year=\\1')"
        " AS _partition"
    )
    return files_view(
        connection, name, paths, schemas, partition, temporary=True, table=table_dir.name
    )


def _displaced(
    connection: duckdb.DuckDBPyConnection,
    root: Location,
    spec: TableSpec,
    files: TableFiles,
) -> pa.Table:
    """``_partition`` and key of snapshot or delta rows whose newest row lies elsewhere.

    An article whose ``published_at`` moved to another month has rows in two partitions;
    the snapshot keeps it only where it wins, so snapshot rows stay one per key overall.
    """
    dedup = DEDUP[spec.name]
    columns = ", ".join(dict.fromkeys([*dedup.key, *(name for name, _ in dedup.order)]))
    table_dir = root / spec.name
    delta_view = _view(connection, "_d_delta", files.delta, table_dir, files.schemas)
    rows = f"SELECT {columns}, _partition, 1 AS _layer FROM {delta_view}"
    if current_view := _view(connection, "_d_current", files.current, table_dir, files.schemas):
        rows = f"""
            SELECT {columns}, _partition, 0 AS _layer FROM {current_view} AS s
            SEMI JOIN {delta_view} AS d ON {dedup.same_key("s", "d")}
            UNION ALL BY NAME {rows}"""
    key = ", ".join(dedup.key)
    return connection.sql(
        f"""
        WITH c AS ({rows}),
        spread AS (SELECT {key} FROM c GROUP BY ALL HAVING count(DISTINCT _partition) > 1),
        contested AS (SELECT c.* FROM c SEMI JOIN spread AS s ON {dedup.same_key("c", "s")}),
        winners AS (SELECT {key}, _partition FROM contested {dedup.window(", _layer")})
        SELECT DISTINCT c._partition, {", ".join(f"c.{name}" for name in dedup.key)}
        FROM contested AS c JOIN winners AS w ON {dedup.same_key("c", "w")}
        WHERE c._partition <> w._partition
        """
    ).to_arrow_table()


def _groups(partitions: list[str], before: dict[str, TableFiles]) -> list[list[str]]:
    """Consecutive partitions in groups of about ``GROUP_BYTES``: memory stays bounded."""
    groups: list[list[str]] = [[]]
    size = 0
    for partition in partitions:
        if groups[-1] and size >= GROUP_BYTES:
            groups.append([])
            size = 0
        groups[-1].append(partition)
        size += _footprint(before[partition])[1]
    return groups


def _write(
    connection: duckdb.DuckDBPyConnection,
    root: Location,
    spec: TableSpec,
    relation: str,
    created: list[Location],
) -> dict[str, tuple[list[str], int]]:
    """Write the rows of ``relation``, one file per partition sorted by its time column.

    Each file written is added to ``created``: a compaction that fails removes them.
    """
    table = connection.sql(
        f"SELECT * FROM {relation} ORDER BY _partition, {spec.month_column}"
    ).to_arrow_table()
    places = table.column("_partition").to_pylist()
    columns = {
        name: table.column(name) if name in table.column_names else pa.nulls(len(table))
        for name in spec.schema.names
    }
    rows = pa.table(columns).cast(spec.schema)
    written, start = {}, 0
    for partition, members in itertools.groupby(places):
        count = len(list(members))
        path = write_parquet_atomic(
            rows.slice(start, count),
            root / spec.name / partition,
            row_group_size=ROW_GROUP_ROWS,
            bloom_filter_options={
                DEDUP[spec.name].key[0]: {"ndv": ROW_GROUP_ROWS, "fpp": BLOOM_FPP}
            },
        )
        created.append(path)
        written[partition] = ([path.name], count)
        start += count
    return written


def _compact_group(
    connection: duckdb.DuckDBPyConnection,
    root: Location,
    spec: TableSpec,
    files: TableFiles,
    displaced: pa.Table,
    created: list[Location],
) -> tuple[dict[str, tuple[list[str], int]], dict[str, tuple[list[str], int]]]:
    """New current and history files of a group of partitions, by partition."""
    dedup = DEDUP[spec.name]
    snapshot = _view(connection, "_g_current", files.current, root / spec.name, files.schemas)
    history = _view(connection, "_g_history", files.history, root / spec.name, files.schemas)
    delta = _view(connection, "_g_delta", files.delta, root / spec.name, files.schemas)
    current = current_rows(snapshot, delta, dedup)
    assert current is not None, "a partition is rewritten for its snapshot or delta rows"
    connection.register("_g_gone", displaced)
    connection.execute(
        f"""CREATE OR REPLACE TEMP TABLE _g_new AS
        SELECT c.* FROM ({current}) AS c ANTI JOIN _g_gone AS g
        ON c._partition = g._partition AND {dedup.same_key("c", "g")}"""
    )
    current_files = _write(connection, root, spec, "_g_new", created)
    if spec.name != "articles":
        return current_files, {}
    versions = current_rows(versions_snapshot(snapshot, history), delta, VERSIONS)
    older = f"""(
        SELECT v.* FROM ({versions}) AS v ANTI JOIN _g_new AS c
        ON {VERSIONS.same_key("v", "c")} AND v.fetched_at IS NOT DISTINCT FROM c.fetched_at)"""
    return current_files, _write(connection, root, spec, older, created)


def _commit(root: Location, spec: TableSpec, manifest: Manifest) -> bool:
    """Publish ``manifest`` unless a concurrent compaction published its generation first."""
    try:
        write_atomic(
            manifest_path(root, spec, manifest.generation),
            lambda handle: handle.write(manifest.to_json().encode()),
            exclusive=True,
        )
    except FileExistsError:
        return False
    return True


def _footprint(files: TableFiles | None) -> tuple[int, int]:
    paths = files.every if files else []
    return len(paths), sum(file_size(path) for path in paths)


def _rewrite(
    root: Location,
    spec: TableSpec,
    before: dict[str, TableFiles],
    dirty: set[str],
    created: list[Location],
) -> dict[str, tuple[list[str], list[str], int]]:
    """Write the new snapshot files of ``dirty`` partitions and of those rows moved out of."""
    connection = utc_connection(root)
    everything = TableFiles.join(before.values())
    delta = [path for partition in dirty for path in before[partition].delta]
    contested = TableFiles(everything.current, [], delta, everything.schemas)
    displaced = _displaced(connection, root, spec, contested)
    written = {}
    for group in _groups(sorted(dirty | set(displaced.column("_partition").to_pylist())), before):
        files = TableFiles.join(before[partition] for partition in group)
        current_files, history_files = _compact_group(
            connection, root, spec, files, displaced, created
        )
        for partition in group:
            current_names, current_rows_written = current_files.get(partition, ([], 0))
            history_names, history_rows = history_files.get(partition, ([], 0))
            written[partition] = (
                current_names, history_names, current_rows_written + history_rows
            )  # fmt: skip
    return written


def _remove(paths: list[Location]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def compact_table(
    root: Location,
    spec: TableSpec,
    min_files: int = 2,
    retention: timedelta = DEFAULT_RETENTION,
    now: datetime | None = None,
) -> list[PartitionCompaction]:
    """Remove abandoned temporary files, vacuum, then rewrite every partition with new files
    and ``min_files`` live files."""
    now = now or datetime.now(UTC)
    _remove_abandoned(root, spec, now, retention)
    removed = _vacuum(root, spec, now, retention)
    previous = latest_manifest(root, spec)
    before = _by_snapshot(root, spec, live_files(root, spec, manifest=previous))
    dirty = {
        partition
        for partition, files in before.items()
        if files.delta and _footprint(files)[0] >= min_files
    }
    written: dict[str, tuple[list[str], list[str], int]] = {}
    if dirty:
        created: list[Location] = []
        generation = previous.generation + 1 if previous else 1
        try:
            written = _rewrite(root, spec, before, dirty, created)
            committed = _commit(root, spec, _next(root, spec, previous, before, written, now))
        except BaseException:
            # Unless a manifest naming them was committed before the failure (a directory
            # sync), the new files are nobody's: the warehouse stays as it was.
            if not manifest_path(root, spec, generation).exists():
                _remove(created)
            raise
        if not committed:
            _remove(created)
            written = {}
    after = _by_snapshot(root, spec, live_files(root, spec))
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
    root: Location,
    spec: TableSpec,
    previous: Manifest | None,
    before: dict[str, TableFiles],
    written: dict[str, tuple[list[str], list[str], int]],
    now: datetime,
) -> Manifest:
    """The manifest after ``written``: replaced files join the covers still on disk."""
    current = dict(previous.current) if previous else {}
    history = dict(previous.history) if previous else {}
    schemas = dict(previous.schemas) if previous else {}
    covers: dict[str, list[str]] = {}
    for partition, names in (previous.covers if previous else {}).items():
        on_disk = set(parquet_names(root / spec.name / partition))
        if kept := sorted(on_disk.intersection(names)):
            covers[partition] = kept
    for partition, (current_names, history_names, _) in written.items():
        for path in before[partition].every:
            folder = _folder(root, spec, path)
            covers[folder] = sorted({*covers.get(folder, []), path.name})
        current[partition], history[partition] = current_names, history_names
        schemas[partition] = schema_id(spec)
    generation = previous.generation + 1 if previous else 1
    return Manifest(generation, now, current, history, covers, schemas)


def _remove_abandoned(root: Location, spec: TableSpec, now: datetime, retention: timedelta) -> None:
    """Delete temporary files older than ``retention``: their writers were killed mid-write.

    Only a folder has them: an object store's writes are single PUTs under the final name.
    """
    if not is_local(root):
        return
    for path in (root / spec.name).glob(f"**/.*{TEMP_SUFFIX}"):
        with suppress(FileNotFoundError):  # committed or removed meanwhile
            if now - datetime.fromtimestamp(path.stat().st_mtime, UTC) >= retention:
                path.unlink()


def compact(
    root: Location,
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
