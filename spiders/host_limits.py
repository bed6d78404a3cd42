"""A host's download slot held across processes: several crawls of one host, one limit.

Scrapy keeps a host's documented limit (``DOWNLOAD_SLOTS``: requests in flight, delay
between them) inside one crawl only. Gate's three sources all read www.gate.com, each
in its own crawl process; run side by side, each would keep 1 request per second and
the host would see three. Here every request first takes one of the host's
``concurrency`` lock files (``flock``, which the kernel drops when a crawl dies, so a
killed crawl never holds a host) and then the host's start stamp, which spaces request
starts by the slot's delay, whichever process sent the previous one. The crawl's own
slot still applies, so a request is never sent sooner than Scrapy alone would send it.

The key is the host as the request names it plus the address the socket goes to (the
connect-to map's), so two fixture servers standing in for one host do not wait on each
other, while every crawl on the machine sharing one real host does.
"""

from __future__ import annotations

import asyncio
import fcntl
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response

from spiders.connect_to import ConnectToDownloadHandler, connect_url

POLL_SECONDS = 0.02  # how often a request waiting for a busy host looks again
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


class HostLimits:
    """Per-host lock files under ``directory``: at most ``concurrency`` requests in flight,
    starts at least ``delay`` apart, across every process that uses the same directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str, suffix: str) -> Path:
        return key_path(self.directory, key, suffix)

    def _try_slot(self, key: str, concurrency: int) -> IO[bytes] | None:
        """One of the host's free in-flight places, locked, or None when all are taken."""
        for place in range(max(concurrency, 1)):
            handle = self._path(key, f"{place}.lock").open("ab")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            return handle
        return None

    def _stamp(self, key: str, delay: float) -> float:
        """Take the host's next start now, or say how long to wait for it (never more than
        ``delay``: a stamp from a clock set back cannot stall a crawl)."""
        with self._path(key, "stamp").open("a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)  # held for a read and a write, never awaited
            handle.seek(0)
            text = handle.read().decode() or "0"
            now = time.time()
            wait = min(float(text) + delay - now, delay)
            if wait > 0:
                return wait
            handle.seek(0)
            handle.truncate()
            handle.write(repr(now).encode())
            return 0.0

    @asynccontextmanager
    async def lease(self, key: str, concurrency: int, delay: float) -> AsyncIterator[None]:
        """Hold one of ``key``'s places for one request, started ``delay`` after the last.

        A place is let go while its holder waits for the delay, so a crawl that just sent a
        request does not keep the host from the others until it sends the next.
        """
        while True:
            handle = self._try_slot(key, concurrency)
            if handle is None:
                await asyncio.sleep(POLL_SECONDS)
                continue
            wait = self._stamp(key, delay)
            if wait <= 0:
                break
            _release(handle)
            await asyncio.sleep(wait)
        try:
            yield
        finally:
            _release(handle)


def _release(handle: IO[bytes]) -> None:
    with suppress(OSError):
        fcntl.flock(handle, fcntl.LOCK_UN)
    handle.close()


def key_path(directory: Path, key: str, suffix: str) -> Path:
    """The file of ``key`` (a host key) for one purpose (``suffix``) under ``directory``."""
    return directory / f"{_UNSAFE.sub('_', key)}.{suffix}"


def host_key(url: str, mapping: dict[str, str]) -> str:
    """The host a request names, and where its socket goes when the connect-to map moves it."""
    host = (urlsplit(url).hostname or "").lower()
    target = connect_url(url, mapping)
    return f"{host}@{urlsplit(target).netloc}" if target else host


class HostLimitedDownloadHandler(ConnectToDownloadHandler):
    """The connect-to handler, each request sent under its host's cross-process lease,
    with the concurrency and delay of the crawl's own download slot for that host."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.crawler = crawler
        self.limits = HostLimits(Path(crawler.settings.get("EXNEWS_HOSTS_DIR")))

    async def download_request(self, request: Request) -> Response:
        assert self.crawler.engine is not None
        slot = self.crawler.engine.downloader.slots.get(request.meta.get("download_slot"))
        if slot is None:  # not sent through the downloader (no slot): nothing to share
            return await super().download_request(request)
        key = host_key(request.url, self.mapping)
        async with self.limits.lease(key, slot.concurrency, slot.delay):
            return await super().download_request(request)
