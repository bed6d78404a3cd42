"""A kill point, loaded as ``sitecustomize`` by every Python process with this folder first
on ``PYTHONPATH`` (so the crawl child of a run gets it too).

``EXNEWS_KILL_AT_WRITE=<table>:<n>`` makes the process that makes the n-th Parquet write
into ``<table>`` SIGKILL itself halfway through it: half the file's bytes are on disk under
the temporary name, as after a power cut. Only the moment is chosen; the write and the
kill are real.
"""

from __future__ import annotations

import io
import os
import signal
from typing import Any

_SPEC = os.environ.get("EXNEWS_KILL_AT_WRITE")


class _KillingParquet:
    """``pyarrow.parquet`` as ``warehouse.writer`` uses it, but fatal at one write."""

    def __init__(self, real: Any, table: str, target: int) -> None:
        self.real = real
        self.folder = f"/{table}/"
        self.target = target
        self.seen = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def write_table(self, table: Any, where: Any, **options: Any) -> None:
        if self.folder in str(getattr(where, "name", "")):
            self.seen += 1
            if self.seen == self.target:
                encoded = io.BytesIO()
                self.real.write_table(table, encoded, **options)
                where.write(encoded.getvalue()[: len(encoded.getvalue()) // 2])
                where.flush()
                os.fsync(where.fileno())
                os.kill(os.getpid(), signal.SIGKILL)
        self.real.write_table(table, where, **options)


if _SPEC:
    import warehouse.writer as _writer

    _table, _target = _SPEC.split(":")
    _writer.pq = _KillingParquet(_writer.pq, _table, int(_target))  # type: ignore[assignment]
