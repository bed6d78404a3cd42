"""Run one spider in its own process with a hard timeout, and report what it did.

Twisted's reactor cannot restart inside a process, and a crashing spider must not take
the calling flow down, so every crawl is ``python -m spiders.crawl`` in a child.

The children are forked from a fork server (``multiprocessing``'s "forkserver") that has
imported Scrapy, Twisted, the parsers and every spider once (``PRELOAD``), where a fresh
interpreter spends about 1.5 s of CPU importing them: for ten sources at once on two
cores, most of a no-op ingest. The server is a fresh interpreter (not a fork of the
threaded flow run), starts with the first crawl (or before it: ``start_fork_server``) and
exits with the process that started it. Nothing it preloads installs a reactor, reads the
environment or starts a thread that a fork would lose mid-lock: each child imports
``spiders.settings``, the warehouse, pyarrow and DuckDB itself.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import multiprocessing
import multiprocessing.connection
import multiprocessing.forkserver
import os
import pkgutil
import signal
import sys
import tempfile
import threading
from dataclasses import asdict, dataclass, field
from datetime import datetime
from functools import cache
from multiprocessing.context import ForkServerContext
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from setproctitle import setproctitle

import spiders.sources

GRACE_SECONDS = 30
STOPPING_GRACE_SECONDS = 5  # the flow run itself is being stopped: it has little time
PR_SET_PDEATHSIG = 1  # linux/prctl.h

# What every crawl imports, but neither spiders.settings, which reads the environment, nor
# pyarrow and DuckDB (the warehouse, spiders.pipelines), which start threads a fork loses.
PRELOAD = [
    "scrapy.crawler",
    "scrapy.core.downloader.handlers.http11",
    "spiders.connect_to",
    "spiders.host_limits",
    "spiders.robots_cache",
    "spiders.middlewares",
    "spiders.polls",
    *(
        f"spiders.sources.{module.name}"
        for module in pkgutil.iter_modules(spiders.sources.__path__)
    ),
]


@cache
def _fork_server() -> ForkServerContext:
    """The fork server, told what to preload before its first crawl starts it.

    multiprocessing runs the starting process's main module again in every child (a script
    by its path, ``python -m prefect.engine`` by its name, as Prefect starts a flow run);
    preloaded, that costs nothing per crawl. Main modules must guard their entry point
    (``if __name__ == "__main__"``), as every multiprocessing program's must.
    """
    context = multiprocessing.get_context("forkserver")
    main = getattr(sys.modules["__main__"].__spec__, "name", None)
    by_name = [main] if main and not main.endswith("__main__") else []
    context.set_forkserver_preload([*PRELOAD, *_scrapy_components(), "__main__", *by_name])
    return context


def _scrapy_components() -> list[str]:
    """The modules of Scrapy's default components (middlewares, extensions, scheduler...),
    which every crawl loads by name as it starts: about a third of a crawl's CPU."""
    from scrapy.settings import default_settings as defaults

    named = [
        *defaults.DOWNLOADER_MIDDLEWARES_BASE,
        *defaults.SPIDER_MIDDLEWARES_BASE,
        *defaults.EXTENSIONS_BASE,
        *defaults.DOWNLOAD_HANDLERS_BASE.values(),
        defaults.SCHEDULER,
        defaults.SCHEDULER_PRIORITY_QUEUE,
        defaults.SCHEDULER_MEMORY_QUEUE,
        defaults.SCHEDULER_DISK_QUEUE,
        defaults.DUPEFILTER_CLASS,
        defaults.STATS_CLASS,
        defaults.LOG_FORMATTER,
        defaults.ROBOTSTXT_PARSER,
    ]
    return sorted({path.rpartition(".")[0] for path in named if isinstance(path, str)})


def start_fork_server() -> None:
    """Start the fork server now rather than at the first crawl: its preloading then runs
    beside whatever the caller does meanwhile."""
    _fork_server()
    multiprocessing.forkserver.ensure_running()


@dataclass
class CrawlSummary:
    source: str
    requests: int = 0
    pages_stored: int = 0
    pages_unchanged: int = 0
    fetch_failures: int = 0
    parse_failures: int = 0
    blocked: int = 0
    not_modified: int = 0
    details_skipped: int = 0
    page_cap_reached: bool = False
    status_counts: dict[str, int] = field(default_factory=dict)
    finish_reason: str | None = None
    error: str | None = None

    @property
    def quarantined(self) -> int:
        """The crawl's own quarantine rows: failed fetches and responses it could not read."""
        return self.fetch_failures + self.parse_failures

    @classmethod
    def from_stats(cls, source: str, stats: dict[str, Any]) -> CrawlSummary:
        prefix = "downloader/response_status_count/"
        return cls(
            source=source,
            requests=int(stats.get("downloader/request_count", 0)),
            pages_stored=int(stats.get("exnews/pages_stored", 0)),
            pages_unchanged=int(stats.get("exnews/pages_unchanged", 0)),
            fetch_failures=int(stats.get("exnews/fetch_failures", 0)),
            parse_failures=int(stats.get("exnews/parse_failures", 0)),
            blocked=int(stats.get("exnews/blocked", 0)),
            not_modified=int(stats.get("exnews/not_modified", 0)),
            details_skipped=int(stats.get("exnews/details_skipped", 0)),
            page_cap_reached=bool(stats.get("exnews/page_cap_reached")),
            status_counts={
                key.removeprefix(prefix): int(value)
                for key, value in stats.items()
                if key.startswith(prefix)
            },
            finish_reason=stats.get("finish_reason"),
            error=stats.get("exnews/storage_error"),
        )


def run_crawl(
    source: str,
    *,
    run_id: str,
    warehouse: Path,
    since: datetime | None = None,
    until: datetime | None = None,
    max_pages: int | None = None,
    timeout: float = 1800,
) -> CrawlSummary:
    """Crawl ``source`` in a child process; a crash or timeout is reported, never raised."""
    with tempfile.TemporaryDirectory(prefix="exnews-crawl-") as scratch:
        summary_path, stderr_path = Path(scratch) / "summary.json", Path(scratch) / "stderr"
        argv = [source, "--run-id", run_id, "--warehouse", str(warehouse)]
        argv += ["--summary", str(summary_path)]
        if since is not None:
            argv += ["--since", since.isoformat()]
        if until is not None:
            argv += ["--until", until.isoformat()]
        if max_pages is not None:
            argv += ["--max-pages", str(max_pages)]
        child = _fork_server().Process(
            target=_child, args=(argv, dict(os.environ), stderr_path), name=f"crawl {source}"
        )
        child.start()
        error = None
        try:
            child.join(timeout)
            if child.exitcode is None:
                _stop(child, GRACE_SECONDS)
                error = f"crawl timed out after {timeout:.0f} s"
        except BaseException:  # this flow run is being stopped (SIGTERM, Ctrl-C): the crawl too
            _stop(child, STOPPING_GRACE_SECONDS)
            raise
        if summary_path.exists():
            summary = CrawlSummary(**json.loads(summary_path.read_text()))
        else:
            summary = CrawlSummary(source=source)
        if child.exitcode != 0 and error is None:
            stderr = stderr_path.read_bytes() if stderr_path.exists() else b""
            tail = stderr.decode(errors="replace").strip().splitlines()[-5:]
            error = f"crawl exited with code {child.exitcode}: " + " | ".join(tail)
        summary.error = error or summary.error
        return summary


def _stop(child: BaseProcess, grace: float) -> None:
    """SIGTERM (Scrapy closes the spider and flushes), SIGKILL after ``grace``."""
    child.terminate()
    child.join(grace)
    if child.exitcode is None:
        child.kill()
        child.join()


def _child(argv: list[str], environment: dict[str, str], stderr_path: Path) -> None:
    """One crawl, forked from the fork server: the caller's environment as it is now (the
    server's own is as it was at its start), stderr to a file, and a title naming it."""
    # The title first: setproctitle needs the environment block as the process got it.
    setproctitle(" ".join([sys.executable, "-m", "spiders.crawl", *argv]))
    os.environ.clear()
    os.environ.update(environment)
    with stderr_path.open("wb") as stderr, Path(os.devnull).open("wb") as stdout:
        os.dup2(stderr.fileno(), 2)
        os.dup2(stdout.fileno(), 1)
    sys.exit(main(argv))


def _stop_with_parent() -> None:
    """Kill this crawl when the process that started it dies, even by SIGKILL.

    A flow run killed outright cannot stop its crawl, which would go on fetching; SIGKILL,
    because Scrapy's graceful SIGTERM waits for requests in flight, and with the parent gone
    nobody reads the summary (files are written atomically, so none is left partial).
    Forked from the fork server, the crawl watches its starter's sentinel (not the fork
    server's death: that server stays up while a crawl it forked runs); started as
    ``python -m spiders.crawl``, Linux's parent-death signal does it.
    """
    starter = multiprocessing.parent_process()
    if starter is not None:
        watch = threading.Thread(target=_die_with, args=(starter.sentinel,), daemon=True)
        watch.start()
    elif sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _die_with(sentinel: int) -> None:
    multiprocessing.connection.wait([sentinel])
    os.kill(os.getpid(), signal.SIGKILL)


def _crawl(arguments: argparse.Namespace) -> CrawlSummary:
    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("spiders.settings", priority="project")
    settings.set("EXNEWS_WAREHOUSE", arguments.warehouse, priority="cmdline")
    settings.set("EXNEWS_RUN_ID", arguments.run_id, priority="cmdline")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(arguments.source)
    spider_arguments = {"since": arguments.since, "until": arguments.until}
    if arguments.max_pages is not None:
        spider_arguments["max_pages"] = arguments.max_pages
    process.crawl(crawler, **spider_arguments)
    process.start()
    return CrawlSummary.from_stats(arguments.source, crawler.stats.get_stats())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m spiders.crawl", description=__doc__)
    parser.add_argument("source")
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--warehouse", default=os.environ.get("EXNEWS_WAREHOUSE", "data"))
    parser.add_argument("--since")
    parser.add_argument("--until")
    parser.add_argument("--max-pages", type=int)
    parser.add_argument("--summary", type=Path)
    arguments = parser.parse_args(argv)
    _stop_with_parent()
    summary = _crawl(arguments)
    text = json.dumps(asdict(summary), indent=1)
    if arguments.summary:
        arguments.summary.write_text(text)
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
