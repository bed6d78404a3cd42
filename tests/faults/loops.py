"""Loops beside a run: ``python -m tests.faults.loops KIND ROOT STOP OUT``.

``compact`` compacts the warehouse again and again; ``read`` counts ``articles`` again and
again. Both run until the file ``STOP`` exists, then write what they saw to ``OUT``.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from warehouse.compaction import compact
from warehouse.layout import warehouse_root
from warehouse.storage import Location
from warehouse.views import connect


def _compact(root: Location) -> int:
    return len(compact(root))


def _read(root: Location) -> int:
    connection = connect(root)
    try:
        return connection.execute("select count(*) from articles").fetchone()[0]
    finally:
        connection.close()


STEPS = {"compact": _compact, "read": _read}


def main(kind: str, root: str, stop: str, out: str) -> None:
    step, seen, errors = STEPS[kind], [], []
    while not Path(stop).exists():
        try:
            seen.append(step(warehouse_root(root)))
        except Exception as error:  # what a reader or compactor meets is the finding
            errors.append(f"{type(error).__name__}: {error}")
        time.sleep(0.1)
    Path(out).write_text(json.dumps({"seen": seen, "errors": errors}))


if __name__ == "__main__":
    main(*sys.argv[1:])
