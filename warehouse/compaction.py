"""Rewrite each partition's many small files into one, then remove the small ones.

The new file is committed (atomic rename) before any old file is removed, so a query or a
crash in between sees every row (some twice, which the views hide), never fewer.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pyarrow.dataset as ds

from warehouse.layout import table_files
from warehouse.schemas import TABLES, TableSpec
from warehouse.writer import write_parquet_atomic


@dataclass(frozen=True)
class PartitionCompaction:
    table: str
    partition: str
    files_before: int
    bytes_before: int
    files_after: int
    bytes_after: int
    rows: int


def _compact_partition(
    root: Path, spec: TableSpec, directory: Path, files: list[Path]
) -> PartitionCompaction:
    bytes_before = sum(path.stat().st_size for path in files)
    # The table's current schema: columns older files lack come back as nulls.
    dataset = ds.dataset([str(path) for path in files], schema=spec.schema, format="parquet")
    table = dataset.to_table()
    written = write_parquet_atomic(table, directory)
    for path in files:
        path.unlink(missing_ok=True)  # a concurrent compaction may have removed it
    return PartitionCompaction(
        table=spec.name,
        partition=str(directory.relative_to(root / spec.name)),
        files_before=len(files),
        bytes_before=bytes_before,
        files_after=1,
        bytes_after=written.stat().st_size,
        rows=table.num_rows,
    )


def compact(root: Path, min_files: int = 2) -> list[PartitionCompaction]:
    """Compact every partition holding at least ``min_files`` files."""
    results = []
    for spec in TABLES.values():
        by_directory: dict[Path, list[Path]] = defaultdict(list)
        for path in table_files(root, spec):
            by_directory[path.parent].append(path)
        for directory, files in sorted(by_directory.items()):
            if len(files) >= min_files:
                results.append(_compact_partition(root, spec, directory, files))
    return results
