"""Where files live: ``<root>/<table>/source=<source>/month=<YYYY-MM>/part-*.parquet``.

Month partitions keep files few and large (DuckDB scans few big files far faster than
many small ones) while a source's recent months stay cheap to rewrite.
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path

from warehouse.schemas import TableSpec

DEFAULT_ROOT = Path("data")
UNKNOWN_MONTH = "unknown"
# ``s3://…``, ``file://…``; a one-letter "scheme" is a Windows drive (``C:/data``, ``C://x``).
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+://")


def warehouse_root(root: str | os.PathLike[str] | None = None) -> Path:
    """The warehouse folder: the argument, else ``EXNEWS_WAREHOUSE``, else ``./data``.

    A URL is refused: as a path, ``s3://bucket/x`` would silently become a local ``s3:`` folder.
    """
    if root is None:
        root = os.environ.get("EXNEWS_WAREHOUSE") or DEFAULT_ROOT
    if _URL.match(os.fspath(root)):
        raise ValueError(
            f"warehouse {os.fspath(root)!r} is a URL; only a local folder is supported "
            "(object storage is not, yet)"
        )
    return Path(root)


def month_key(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m") if moment is not None else UNKNOWN_MONTH


def partition_dir(root: Path, spec: TableSpec, source: str | None, month: str) -> Path:
    base = root / spec.name
    if spec.by_source:
        base = base / f"source={source}"
    return base / f"month={month}"


def _pattern(spec: TableSpec, source: str | None) -> str:
    """Committed files only: temporary files start with a dot and end in ``.tmp``."""
    partitions = f"source={source or '*'}/month=*" if spec.by_source else "month=*"
    return f"{partitions}/*.parquet"


def table_glob(root: Path, spec: TableSpec, source: str | None = None) -> str:
    return str(root / spec.name / _pattern(spec, source))


def table_files(root: Path, spec: TableSpec, source: str | None = None) -> list[Path]:
    return sorted((root / spec.name).glob(_pattern(spec, source)))
