"""Rewrite each partition's many small files into one; remove the small ones later.

The new file is committed (atomic rename) while the old ones stay in place, listed in a
hidden manifest; the views hide the rows they now hold twice. Only a later run, once the
retention has passed, removes them: a query that listed the old files keeps finding them,
as with Delta Lake's VACUUM. The one remaining race is a query listing files in the same
instant as that removal, ``retention`` after the compaction. The same run removes what
killed writers left: temporary files no reader ever saw and no writer will finish.
"""

from __future__ import annotations

import json
from collections import defaultdict
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.dataset as ds

from warehouse.layout import table_files
from warehouse.schemas import TABLES, TableSpec
from warehouse.writer import TEMP_SUFFIX, write_atomic, write_parquet_atomic

MANIFEST_PREFIX = ".replaced-"
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


def _manifests(directory: Path) -> list[Path]:
    return sorted(directory.glob(f"{MANIFEST_PREFIX}*.json"))


def _remove_expired(directory: Path, now: datetime, retention: timedelta) -> tuple[int, set[str]]:
    """Delete files replaced longer than ``retention`` ago; return how many, and those pending."""
    removed, pending = 0, set()
    for manifest in _manifests(directory):
        record = json.loads(manifest.read_text())
        names = set(record["files"])
        if now - datetime.fromisoformat(record["replaced_at"]) >= retention:
            for name in names:
                (directory / name).unlink(missing_ok=True)  # a concurrent run may be first
                removed += 1
            manifest.unlink(missing_ok=True)
        else:
            pending |= names
    return removed, pending


def _live_files(directory: Path) -> list[Path]:
    """Committed files not yet replaced by a compacted one."""
    replaced = {
        name for manifest in _manifests(directory)
        for name in json.loads(manifest.read_text())["files"]
    }  # fmt: skip
    return [path for path in sorted(directory.glob("*.parquet")) if path.name not in replaced]


def _compact_partition(spec: TableSpec, directory: Path, files: list[Path], now: datetime) -> Path:
    # The table's current schema: columns older files lack come back as nulls.
    dataset = ds.dataset([str(path) for path in files], schema=spec.schema, format="parquet")
    written = write_parquet_atomic(dataset.to_table(), directory)
    manifest = directory / f"{MANIFEST_PREFIX}{written.stem}.json"
    record = {"replaced_at": now.isoformat(), "by": written.name, "files": [p.name for p in files]}
    # Atomic too: a manifest cut short would stop every later compaction of the partition.
    write_atomic(manifest, lambda handle: handle.write(json.dumps(record).encode()))
    return written


def _remove_abandoned(root: Path, spec: TableSpec, now: datetime, retention: timedelta) -> None:
    """Delete temporary files older than ``retention``: their writers were killed mid-write."""
    for path in (root / spec.name).glob(f"**/.*{TEMP_SUFFIX}"):
        with suppress(FileNotFoundError):  # committed or removed meanwhile
            if now - datetime.fromtimestamp(path.stat().st_mtime, UTC) >= retention:
                path.unlink()


def compact(
    root: Path,
    min_files: int = 2,
    retention: timedelta = DEFAULT_RETENTION,
    now: datetime | None = None,
) -> list[PartitionCompaction]:
    """Compact every partition with ``min_files`` or more live files; report each partition."""
    now = now or datetime.now(UTC)
    results = []
    for spec in TABLES.values():
        _remove_abandoned(root, spec, now, retention)
        by_directory: dict[Path, list[Path]] = defaultdict(list)
        for path in table_files(root, spec):
            by_directory[path.parent].append(path)
        for directory in sorted(by_directory):
            before = _live_files(directory)
            removed, pending = _remove_expired(directory, now, retention)
            live = [path for path in before if path.name not in pending]
            rows = 0
            if len(live) >= min_files:
                written = _compact_partition(spec, directory, live, now)
                rows = ds.dataset(str(written), format="parquet").count_rows()
            elif not removed:
                continue
            after = _live_files(directory)
            results.append(
                PartitionCompaction(
                    table=spec.name,
                    partition=str(directory.relative_to(root / spec.name)),
                    files_before=len(before),
                    bytes_before=sum(path.stat().st_size for path in before),
                    files_after=len(after),
                    bytes_after=sum(path.stat().st_size for path in after),
                    rows=rows,
                    files_removed=removed,
                )
            )
    return results
