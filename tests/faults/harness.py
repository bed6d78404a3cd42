"""Real ``exnews`` children for the crash, concurrency and storage fault tests.

Every run is the command a user types, in its own process group (so a kill can reach its
crawl child too), pointed at the session's fixture server and Prefect server.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import psutil

EXNEWS = Path(sys.executable).with_name("exnews")
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
# Binance: the richest fixtures (42 articles over three months) and no per-host delay.
SOURCE = "binance"
EXPECTED = json.loads((FIXTURES / SOURCE / "expected.json").read_text())
# [start, end) holding every fixture article of SOURCE: a backfill of three month chunks.
WINDOW = ("2026-09-01", "2026-12-01")
KILLPOINT = Path(__file__).with_name("killpoint")


@dataclass(frozen=True)
class Finished:
    returncode: int
    stdout: str
    stderr: str


class Run(subprocess.Popen[bytes]):
    """``exnews ARGUMENTS`` in a new session: its process group is the run and its crawl.

    Output goes to files, not pipes, so a chatty child never blocks while a test watches it.
    """

    def __init__(self, arguments: list[str], env: dict[str, str]) -> None:
        self.out = tempfile.TemporaryFile()  # noqa: SIM115 - closed by finish()
        self.err = tempfile.TemporaryFile()  # noqa: SIM115
        command = [str(EXNEWS), *arguments]
        super().__init__(command, env=env, stdout=self.out, stderr=self.err, start_new_session=True)

    def finish(self, timeout: float = 240) -> Finished:
        self.wait(timeout=timeout)
        texts = []
        for handle in (self.out, self.err):
            handle.seek(0)
            texts.append(handle.read().decode(errors="replace"))
            handle.close()
        return Finished(self.returncode, *texts)


def ingest(root: Path, env: dict[str, str], *extra: str) -> Run:
    return Run(["ingest", "--sources", SOURCE, "--warehouse", str(root), *extra], env)


def backfill(root: Path, env: dict[str, str], window: tuple[str, str] = WINDOW) -> Run:
    start_day, end_day = window
    arguments = ["--start", start_day, "--end", end_day, "--warehouse", str(root)]
    return Run(["backfill", "--sources", SOURCE, *arguments], env)


def reprocess(root: Path, env: dict[str, str]) -> Run:
    start_day, end_day = WINDOW
    arguments = ["--start", start_day, "--end", end_day, "--warehouse", str(root)]
    return Run(["reprocess", "--sources", SOURCE, *arguments], env)


def completed(result: Finished) -> bool:
    """Exit 0 and a report row for the source: the run went through to its end."""
    return result.returncode == 0 and SOURCE in result.stdout


def crawl_child(child: Run) -> psutil.Process | None:
    """The ``python -m spiders.crawl`` process of a running flow, if there is one now."""
    try:
        children = psutil.Process(child.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return None
    for process in children:
        try:
            # A crawl forked from the fork server names itself in one string (setproctitle).
            if "spiders.crawl" in " ".join(process.cmdline()).split():
                return process
        except psutil.NoSuchProcess:
            continue
    return None


def kill_group(child: Run) -> bool:
    """SIGKILL the run and everything it started; False when it had already exited."""
    if child.poll() is not None:
        return False
    os.killpg(child.pid, signal.SIGKILL)
    return True


def runs_files(root: Path) -> int:
    """The ``runs`` row is the last thing a source run writes."""
    return sum(1 for _ in (root / "runs").glob("month=*/*.parquet"))


@dataclass(frozen=True)
class Phases:
    """How long a clean run spends crawling and then processing, to aim kills at both."""

    crawl_seconds: float
    process_seconds: float


def timed_run(root: Path, env: dict[str, str]) -> tuple[Finished, Phases]:
    """One ingest watched from outside: when its crawl child lived, when its row landed."""
    child = ingest(root, env)
    crawl_started = crawl_ended = row_landed = None
    while child.poll() is None:
        now = time.monotonic()
        crawling = crawl_child(child) is not None
        if crawling and crawl_started is None:
            crawl_started = now
        if not crawling and crawl_started is not None and crawl_ended is None:
            crawl_ended = now
        if crawl_ended is not None and row_landed is None and runs_files(root):
            row_landed = now
        time.sleep(0.05)
    result = child.finish()
    assert completed(result), result.stderr
    assert crawl_started and crawl_ended and row_landed, "the run was not seen crawling"
    return result, Phases(crawl_ended - crawl_started, row_landed - crawl_ended)


def wait_for(
    condition: object, timeout: float = 120, what: str = "condition", every: float = 0.05
) -> None:
    """Poll ``condition``; scanning processes is not free on two shared cores."""
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout:.0f} s for {what}")
        time.sleep(every)


def file_hashes(root: Path) -> dict[str, str]:
    """Every file under ``root`` by relative path: what "nothing stored was touched" compares."""
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def copy_warehouse(
    source: Path, target: Path, *, copies: int = 1, skip: tuple[str, ...] = ()
) -> None:
    """``source``'s committed files into ``target``, each ``copies`` times under new names.

    Two copies of a file is what two writers that both found nothing stored leave behind.
    """
    for path in sorted(source.rglob("*.parquet")):
        relative = path.relative_to(source)
        if relative.parts[0] in skip:
            continue
        folder = target / relative.parent
        folder.mkdir(parents=True, exist_ok=True)
        for _ in range(copies):  # bytes, not a file copy: ``target`` may be an object store
            (folder / f"part-copy-{uuid.uuid4().hex[:12]}.parquet").write_bytes(path.read_bytes())
