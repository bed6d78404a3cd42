"""Where files live: ``<root>/<table>/source=<source>/month=<YYYY-MM>/part-*.parquet``.

``<root>`` is a local folder or an object-store URL (``s3://bucket/prefix``): see
:mod:`warehouse.storage`.

Month partitions keep files few and large (DuckDB scans few big files far faster than
many small ones) while a source's recent months stay cheap to rewrite.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from upath import UPath

from warehouse.schemas import TableSpec
from warehouse.storage import Location, location

DEFAULT_ROOT = Path("data")
UNKNOWN_MONTH = "unknown"


def warehouse_root(root: str | os.PathLike[str] | None = None) -> UPath:
    """The warehouse: the argument, else ``EXNEWS_WAREHOUSE``, else ``./data``.

    A folder is a ``Path``; ``s3://bucket/prefix`` (never a local ``s3:`` folder) is the
    object store's path; an unknown scheme is a ``ValueError``.
    """
    if root is None:
        root = os.environ.get("EXNEWS_WAREHOUSE") or DEFAULT_ROOT
    return root if isinstance(root, UPath) else location(root)


def month_key(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m") if moment is not None else UNKNOWN_MONTH


def partition_dir(root: Location, spec: TableSpec, source: str | None, month: str) -> Location:
    base = root / spec.name
    if spec.by_source:
        base = base / f"source={source}"
    return base / f"month={month}"


def _pattern(spec: TableSpec, source: str | None) -> str:
    """Committed files only: temporary files start with a dot and end in ``.tmp``."""
    partitions = f"source={source or '*'}/month=*" if spec.by_source else "month=*"
    return f"{partitions}/*.parquet"


def table_glob(root: Location, spec: TableSpec, source: str | None = None) -> str:
    return str(root / spec.name / _pattern(spec, source))


def table_files(root: Location, spec: TableSpec, source: str | None = None) -> list[Location]:
    return sorted((root / spec.name).glob(_pattern(spec, source)))
