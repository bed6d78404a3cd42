"""The ``watch`` flow: poll the fast feeds, each at its own interval, until stopped.

Each poll is an incremental ingest of one source over a short look-back (the crawl child,
processing, a ``runs`` row of flow ``watch``), so an article lands seconds after a poll
sees it and emits its Prefect event (flows/events.py). One thread per source, so a slow
exchange never delays another. The flow run lasts as long as the watch, and its polls are
plain calls, not task runs: a flow run keeps every task result it ran, which over days
would grow without bound. Nothing else grows either: the status board holds one entry per
source.

Stopping: Ctrl-C (SIGINT), SIGTERM (systemd, Docker, ``exnews serve``'s stop, a cancel from
the UI) end the watch without a traceback: polls between crawls stop at once, a running
crawl is told to stop and what it stored is processed, within :data:`STOP_SECONDS`;
anything still running then is abandoned, and its pages are redone by the next poll.
"""

from __future__ import annotations

import contextvars
import signal
import threading
import time
from collections.abc import Iterable
from contextlib import AbstractContextManager, nullcontext, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psutil
from prefect import flow, get_run_logger
from prefect.exceptions import TerminationSignal

from flows.ingest import Source, _sources, resume_window, run_source
from flows.report import SourceRun
from flows.serve import StopSignal, ignore_stop_signals
from spiders.registry import source_names, spider_class
from warehouse.layout import warehouse_root

# Seconds between two polls of a source (start to start), far inside what each exchange
# states (../shared/reference/exchange-feeds.md): a poll is one list request per feed
# section plus the details of the look-back window, sent one at a time per host by the
# spiders' polite settings, so a few requests a poll, a fraction of a request a second.
POLL_SECONDS: dict[str, float] = {
    "binance": 30,  # bapi: undocumented; scrapers pause 1.2 s between requests
    "okx": 30,  # 5 requests / 2 s per IP
    "bybit": 30,  # V5 public: 600 requests / 5 s per IP
    "kucoin": 30,  # public pool, weight 20 a call
    "bitget": 30,  # 20 requests / 1 s per IP
    "gate_announcements": 30,  # not stated (Gate's generic public limits apply)
}
WATCH_FEED = "announcements"  # the fast feeds: listings, delistings, notices
DEFAULT_LOOKBACK_HOURS = 2.0  # an edit within this of the newest item is seen as a change
STOP_SECONDS = 15  # from the signal to the watch's end, polls included
STOPS = (KeyboardInterrupt, TerminationSignal, StopSignal)


def watched_sources() -> list[str]:
    """The announcement feeds: the ones a trader waits on."""
    return [name for name in source_names() if spider_class(name).feed == WATCH_FEED]


def poll_seconds(source: str, interval: float | None) -> float:
    """``interval`` when given, else the source's default (60 s for one not in the table)."""
    return interval if interval is not None else POLL_SECONDS.get(source, 60.0)


def poll(source: str, root: Path, lookback: timedelta) -> SourceRun:
    """One incremental ingest of ``source``: from its newest stored item less ``lookback``
    (the whole feed until an ingest or watch of it has gone through)."""
    window = resume_window(root, source, lookback)
    return run_source.fn("watch", source, root, window, None, True, tracked=False)


@dataclass
class SourceStatus:
    interval: float
    polls: int = 0
    new: int = 0
    changed: int = 0
    failures: int = 0
    polling_since: datetime | None = None
    last_poll_at: datetime | None = None
    last_status: str = ""
    last_message: str | None = None


@dataclass
class WatchBoard:
    """What the watch is doing, for a status line: one entry per source, nothing more."""

    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    sources: dict[str, SourceStatus] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def begin(self, source: str) -> None:
        with self._lock:
            self.sources[source].polling_since = datetime.now(UTC)

    def end(self, source: str, row: dict[str, Any] | None, error: str | None = None) -> None:
        with self._lock:
            status = self.sources[source]
            status.polls += 1
            status.polling_since = None
            status.last_poll_at = datetime.now(UTC)
            if row is None or row["status"] == "failed":
                status.failures += 1
            if row is not None:
                status.new += row["items_new"]
                status.changed += row["items_changed"]
                status.last_status = row["status"]
                status.last_message = row["message"]
            else:
                status.last_status, status.last_message = "failed", error

    def lines(self) -> list[str]:
        now = datetime.now(UTC)
        with self._lock:
            entries = sorted(self.sources.items())
            lines = []
            for source, status in entries:
                if status.polling_since is not None:
                    doing = f"polling for {(now - status.polling_since).total_seconds():.0f} s"
                elif status.last_poll_at is not None:
                    doing = f"polled {(now - status.last_poll_at).total_seconds():.0f} s ago"
                else:
                    doing = "starting"
                lines.append(
                    f"{source}: every {status.interval:g} s, {doing}; {status.polls} polls, "
                    f"{status.new} new, {status.changed} changed, {status.failures} failed"
                    + (f"; last {status.last_status}" if status.last_status else "")
                    + (f": {status.last_message}" if status.last_message else "")
                )
        return lines


# The board of the watch running in this process, read by ``exnews watch``'s status line.
BOARD = WatchBoard()


def _keep_polling(
    source: str, root: Path, interval: float, lookback: timedelta, stop: threading.Event
) -> None:
    """Poll ``source`` every ``interval`` seconds until ``stop``; a failed poll is logged."""
    logger = get_run_logger()
    while not stop.is_set():
        started = time.monotonic()
        BOARD.begin(source)
        try:
            row = poll(source, root, lookback).row()
        except Exception as error:  # one failed poll must not end the watch
            logger.error("%s: poll failed: %s: %s", source, type(error).__name__, error)
            BOARD.end(source, None, f"{type(error).__name__}: {error}")
        else:
            BOARD.end(source, row)
            if row["status"] == "failed":
                logger.warning("%s: poll failed: %s", source, row["message"])
            elif row["items_new"] or row["items_changed"]:
                logger.info(
                    "%s: %d new, %d changed", source, row["items_new"], row["items_changed"]
                )
        stop.wait(max(interval - (time.monotonic() - started), 0.0))


def _stop_crawls() -> None:
    """Tell this process's crawl children to stop (a terminal's Ctrl-C reaches them itself;
    a service manager's SIGTERM does not): Scrapy closes the spider and flushes its pages."""
    for child in psutil.Process().children(recursive=True):
        with suppress(psutil.Error):
            if "spiders.crawl" in child.cmdline():
                child.send_signal(signal.SIGTERM)


def _undisturbed() -> AbstractContextManager[None]:
    """No second signal cuts the wind-down short (signals are the main thread's to set)."""
    if threading.current_thread() is threading.main_thread():
        return ignore_stop_signals()
    return nullcontext()


def _wind_down(threads: Iterable[threading.Thread], stop: threading.Event) -> None:
    """Stop every poller within STOP_SECONDS; a poll still running then is abandoned."""
    stop.set()
    deadline = time.monotonic() + STOP_SECONDS
    for thread in threads:
        while thread.is_alive() and time.monotonic() < deadline:
            _stop_crawls()  # again: a poller may have started a crawl in between
            thread.join(timeout=0.5)


def _signal_name(stop: BaseException) -> str:
    if isinstance(stop, StopSignal):
        return signal.Signals(stop.signum).name
    if isinstance(stop, TerminationSignal):
        return signal.Signals(stop.signal).name
    return "SIGINT"


@flow(name="watch", log_prints=True)
def watch(
    sources: list[Source] | None = None,
    interval: float | None = None,
    lookback_hours: float = DEFAULT_LOOKBACK_HOURS,
    warehouse: str | None = None,
) -> dict[str, Any]:
    """Poll the announcement feeds (or ``sources``) until stopped; ``interval`` overrides
    every source's default seconds between polls."""
    root = warehouse_root(warehouse)
    chosen = _sources(sources) if sources else watched_sources()
    if interval is not None and interval <= 0:
        raise ValueError(f"interval must be positive, not {interval}")
    lookback = timedelta(hours=lookback_hours)
    stop = threading.Event()
    BOARD.sources = {name: SourceStatus(poll_seconds(name, interval)) for name in chosen}
    threads = [
        threading.Thread(
            target=contextvars.copy_context().run,  # each poller sees the flow run's context
            args=(_keep_polling, name, root, poll_seconds(name, interval), lookback, stop),
            name=f"watch-{name}",
            daemon=True,  # an abandoned poll must not hold the process at exit
        )
        for name in chosen
    ]
    logger = get_run_logger()
    every = ", ".join(f"{name} every {poll_seconds(name, interval):g} s" for name in chosen)
    logger.info("watching %s", every)
    stopped_by = None
    for thread in threads:
        thread.start()
    try:
        while any(thread.is_alive() for thread in threads):
            stop.wait(1.0)
    except STOPS as stopping:
        stopped_by = _signal_name(stopping)
        logger.info("stopping (%s)", stopped_by)
    finally:
        with _undisturbed():
            _wind_down(threads, stop)
    return {
        "stopped_by": stopped_by,
        "polls": {
            name: {
                "polls": status.polls,
                "new": status.new,
                "changed": status.changed,
                "failed": status.failures,
            }
            for name, status in BOARD.sources.items()
        },
    }
