"""A warehouse disk that is full or read-only: a clear error, no partial file, and nothing
already stored touched; once there is room again, the next run completes.

The disk is a small tmpfs mounted for the test (root in this container); where mounting is
not allowed the tests skip and say so.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.faults.conftest import Reference
from tests.faults.harness import Finished, Run, completed, copy_warehouse, file_hashes, ingest
from tests.faults.ledger import Audit, audit, record
from warehouse import connect, search
from warehouse.compaction import compact
from warehouse.writer import WarehouseWriteError

# Tables a rebuild from raw_pages writes: what the faulted runs have to write again.
DERIVED = ("articles", "mentions", "comments", "runs", "quarantine")
PAGE = 4096


@contextmanager
def small_disk(path: Path, size: str = "4m") -> Iterator[Path]:
    """A tmpfs of ``size`` at ``path``: a disk that fills up and can be made read-only."""
    path.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs (needs root or CAP_SYS_ADMIN): {mounted.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", str(path)], check=False)


def remount(disk: Path, mode: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{mode}", str(disk)], check=True)


def leave_free(disk: Path, free: int) -> None:
    """Fill ``disk`` with one file so that only ``free`` bytes (whole pages) stay free."""
    filler = disk / "filler"
    filler.unlink(missing_ok=True)
    stats = os.statvfs(disk)
    size = stats.f_bavail * stats.f_frsize - free
    with filler.open("wb") as handle:
        handle.truncate(0)
        handle.write(b"\0" * size)


# tantivy's registry of the files it manages: it is rewritten before each file the index
# creates, so an index update the full disk refuses leaves it naming a file that was never
# written (tantivy's garbage collection drops the name). The index's commit point,
# meta.json, is held to the rule like every other file, and the index must answer after.
INDEX_REGISTRY = "search/.managed.json"


def assert_untouched(root: Path, before: dict[str, str], seen: Audit) -> None:
    """No partial or unreadable file; every file stored before is byte for byte the same."""
    after = file_hashes(root)
    stored = {name: digest for name, digest in before.items() if name != INDEX_REGISTRY}
    assert {name: after.get(name) for name in stored} == stored
    assert seen.temporary_files == 0 and seen.unreadable_files == 0


def assert_searchable(root: Path) -> None:
    """The search index opens and finds a stored article by a word of its title."""
    title, article_id = (
        connect(root)
        .execute("select title, article_id from articles order by article_id limit 1")
        .fetchone()
    )
    word = max(re.findall(r"[A-Za-z]{4,}", title), key=len)
    assert article_id in {hit.article_id for hit in search.search(root, word, limit=100)}


def assert_clear_error(result: Finished, reason: str) -> None:
    """Exit 1 and one ``error:`` line naming the cause (Prefect's own log lines go around it)."""
    assert result.returncode == 1, result.stderr[-3000:]
    said = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(said) == 1 and reason in said[0], result.stderr[-3000:]


# (fault, what each injection did) of the ledger rows.
DISK_FULL = (
    "warehouse disk full during an ingest",
    "each run: one-line error, exit 1, no partial file, stored files unchanged",
)
READ_ONLY = ("warehouse read-only (ingest, compact)", "each: one-line error, exit 1, no byte moved")


def recover(
    fault: tuple[str, str], injected: int, root: Path, env: dict[str, str], reference: Reference
) -> None:
    """With room again the next ingest completes, and the warehouse holds every article once."""
    following = ingest(root, env).finish()
    name, outcome = fault
    outcome += "; next ingest " + ("completed" if completed(following) else "FAILED")
    row = record(name, injected, reference.articles, audit(root), outcome)
    assert completed(following), following.stderr[-3000:]
    assert row.clean, row


# Free space for each injection: too little for the crawl's pages but enough for the run's
# own row (the run must still say it failed); enough for the pages but not the articles;
# enough for nearly everything but the last writes. (Read-only covers "no room at all".)
FREE_BYTES = (4 * PAGE, 12 * PAGE, 36 * PAGE)


def test_an_ingest_on_a_full_disk(tmp_path: Path, fault_env: dict[str, str], reference: Reference):
    with small_disk(tmp_path / "disk") as disk:
        root = disk / "warehouse"
        copy_warehouse(reference.root, root, skip=DERIVED)
        for free in FREE_BYTES:
            leave_free(disk, free)
            before = file_hashes(root)
            failed = ingest(root, fault_env).finish()
            assert_clear_error(failed, "No space left on device")
            assert_untouched(root, before, audit(root))
        (disk / "filler").unlink()
        recover(DISK_FULL, len(FREE_BYTES), root, fault_env, reference)
        assert_searchable(root)


def test_a_read_only_warehouse(tmp_path: Path, fault_env: dict[str, str], reference: Reference):
    with small_disk(tmp_path / "disk") as disk:
        root = disk / "warehouse"
        copy_warehouse(reference.root, root, copies=2, skip=("runs",))
        before = file_hashes(root)
        remount(disk, "ro")
        try:
            attempts = [
                Run(["ingest", "--sources", "binance", "--warehouse", str(root)], fault_env),
                Run(["compact", "--warehouse", str(root)], fault_env),
            ]
            for attempt in attempts:
                assert_clear_error(attempt.finish(), "Read-only file system")
            assert file_hashes(root) == before
        finally:
            remount(disk, "rw")
        recover(READ_ONLY, len(attempts), root, fault_env, reference)


def test_compaction_on_a_full_disk(tmp_path: Path, reference: Reference):
    """Free space grows a page at a time, so one attempt runs out of room at every step of
    a compaction: the compacted file, its manifest, the next partition.
    """
    with small_disk(tmp_path / "disk") as disk:
        root = disk / "warehouse"
        copy_warehouse(reference.root, root, copies=2)
        failures = 0
        for pages in range(256):
            leave_free(disk, pages * PAGE)
            before = file_hashes(root)
            try:
                compact(root, min_files=2)
            except WarehouseWriteError as error:
                assert error.errno == 28 and str(root) in str(error)
                failures += 1
                assert_untouched(root, before, audit(root))
            else:
                break
        else:
            pytest.fail("compaction never found room")
        (disk / "filler").unlink()
        assert compact(root, min_files=2) == []  # nothing left undone or half done
        row = record(
            "warehouse disk full during compaction",
            failures,
            reference.articles,
            audit(root),
            f"{failures} attempts, free space one page more each time, each failed cleanly;"
            " then compacted",
        )
    assert row.clean, row
