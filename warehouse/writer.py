"""Atomic, append-only Parquet writes.

Every batch becomes new files with unique names, so readers and crashes never see a
partial file: in a folder, written under a temporary name and renamed into place; on an
object store (which has no rename), encoded in memory and sent as one PUT of the whole
object, which the store shows complete or not at all. A write the storage refuses (full,
read-only, denied) leaves nothing behind and raises one clear error.
"""

from __future__ import annotations

import errno
import io
import os
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

import pyarrow as pa
import pyarrow.parquet as pq
from upath import UPath

from warehouse.layout import month_key, partition_dir
from warehouse.schemas import SCHEMA_VERSION, TableSpec
from warehouse.storage import Location, is_local

Row = Mapping[str, Any]

TEMP_SUFFIX = ".tmp"


class WarehouseWriteError(OSError):
    """A file the warehouse could not write: disk full, read-only, no permission.

    Its message names the cause and the partition; nothing partial is left behind.
    """


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(
    final: Location, write: Callable[[IO[bytes]], None], exclusive: bool = False
) -> Location:
    """Have ``write`` fill ``final`` all or nothing.

    ``exclusive``: publish only while ``final`` does not exist (else ``FileExistsError``),
    so two writers of one name cannot overwrite each other.
    """
    if not is_local(final):
        return _put_whole(final, write, exclusive)
    temporary = final.with_name(f".{final.name}.{uuid.uuid4().hex[:12]}{TEMP_SUFFIX}")
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        with temporary.open("wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        if exclusive:
            os.link(temporary, final)  # atomic, and fails if the name exists
            temporary.unlink()
        else:
            temporary.replace(final)
        _fsync_dir(final.parent)
    except BaseException as error:
        with suppress(OSError):
            temporary.unlink(missing_ok=True)
        if isinstance(error, OSError) and not (exclusive and isinstance(error, FileExistsError)):
            cause = error.strerror or str(error)
            raise WarehouseWriteError(error.errno, cause, str(final.parent)) from error
        raise
    return final


def _put_whole(final: UPath, write: Callable[[IO[bytes]], None], exclusive: bool) -> Location:
    """One PUT of the complete object; ``exclusive`` makes it conditional (``If-None-Match``).

    A store that ignores the condition lets the last of two writers of one name win; see
    docs/warehouse-layout.md for what that costs (nothing is lost).
    """
    buffer = io.BytesIO()
    write(buffer)
    try:
        final.fs.pipe_file(
            final.path, buffer.getvalue(), mode="create" if exclusive else "overwrite"
        )
    except FileExistsError:
        raise
    except OSError as error:
        cause = error.strerror or str(error)
        # A store's refusal (no bucket, access denied) carries no errno of its own.
        number = error.errno or errno.EIO
        raise WarehouseWriteError(number, cause, str(final.parent)) from error
    return final


def write_parquet_atomic(table: pa.Table, directory: Location, **options: Any) -> Location:
    """Write ``table`` as one new zstd file in ``directory`` and return its final path.

    ``options`` go to ``pyarrow.parquet.write_table`` (row-group size, Bloom filters).
    """
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    final = directory / f"part-{stamp}-{uuid.uuid4().hex[:12]}.parquet"
    return write_atomic(
        final, lambda handle: pq.write_table(table, handle, compression="zstd", **options)
    )


def _partition_key(spec: TableSpec, row: Row) -> tuple[str | None, str]:
    moment = row.get(spec.month_column) or row.get("fetched_at")
    return (row.get("source") if spec.by_source else None, month_key(moment))


def write_rows(root: Location, spec: TableSpec, rows: Iterable[Row]) -> list[Location]:
    """Write rows as one file per partition they fall in."""
    by_partition: dict[tuple[str | None, str], list[Row]] = defaultdict(list)
    for row in rows:
        by_partition[_partition_key(spec, row)].append({"schema_version": SCHEMA_VERSION, **row})
    written = []
    for (source, month), partition_rows in sorted(
        by_partition.items(), key=lambda item: (item[0][0] or "", item[0][1])
    ):
        table = pa.Table.from_pylist(partition_rows, schema=spec.schema)
        written.append(write_parquet_atomic(table, partition_dir(root, spec, source, month)))
    return written


class BatchWriter:
    """Buffers rows and writes them in bounded batches, so memory stays flat on long runs."""

    def __init__(
        self, root: Location, spec: TableSpec, max_rows: int = 5_000, max_bytes: int = 64 << 20
    ) -> None:
        self.root = root
        self.spec = spec
        self.max_rows = max_rows
        self.max_bytes = max_bytes
        self.rows_written = 0
        self._buffer: list[Row] = []
        self._buffered_bytes = 0

    def add(self, row: Row, size_hint: int = 0) -> None:
        self._buffer.append(row)
        self._buffered_bytes += size_hint
        if len(self._buffer) >= self.max_rows or self._buffered_bytes >= self.max_bytes:
            self.flush()

    def flush(self) -> None:
        if self._buffer:
            write_rows(self.root, self.spec, self._buffer)
            self.rows_written += len(self._buffer)
        self._buffer = []
        self._buffered_bytes = 0

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.flush()
