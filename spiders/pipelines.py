"""Store every payload in ``raw_pages`` and every failed fetch in ``quarantine``, in batches.

A warehouse that refuses a write (disk full, read-only) ends the crawl with that error in
its stats, so the run reports it failed instead of counting pages it never stored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Self

from scrapy.crawler import Crawler
from scrapy.utils.defer import deferred_from_coro

from spiders.base import WindowedSpider
from spiders.items import FetchFailure, RawPage, raw_id
from warehouse.layout import warehouse_root
from warehouse.schemas import TABLES
from warehouse.writer import BatchWriter, WarehouseWriteError


class RawPageWriter:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.root = warehouse_root(crawler.settings.get("EXNEWS_WAREHOUSE"))
        self.run_id = crawler.settings.get("EXNEWS_RUN_ID")
        self.pages = BatchWriter(self.root, TABLES["raw_pages"], max_rows=500)
        self.failures = BatchWriter(self.root, TABLES["quarantine"], max_rows=500)
        self.known: set[str] = set()
        self.known_entries: set[tuple[str, str]] = set()
        self.failed = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def open_spider(self) -> None:
        spider = self.crawler.spider
        assert isinstance(spider, WindowedSpider)
        self.known = set(spider.known.payloads)
        self.known_entries = set(spider.known.entries)

    def close_spider(self) -> None:
        self._write(self.pages.flush, closing=True)
        self._write(self.failures.flush, closing=True)

    def _write(self, write: Callable[[], None], closing: bool = False) -> None:
        """Run one write; after the first the warehouse refuses, store nothing more."""
        if self.failed:
            return
        try:
            write()
        except WarehouseWriteError as error:
            self.failed = True
            message = f"cannot write to the warehouse: {error}"
            self.crawler.stats.set_value("exnews/storage_error", message)
            if not closing:
                assert self.crawler.engine is not None
                deferred_from_coro(self.crawler.engine.close_spider_async(reason="storage_error"))

    def process_item(self, item: RawPage | FetchFailure) -> RawPage | FetchFailure:
        stats = self.crawler.stats
        if self.failed:
            return item
        if isinstance(item, FetchFailure):
            stats.inc_value(f"exnews/{item.stage}_failures")
            if item.blocked:
                stats.inc_value("exnews/blocked")
            row = {
                "quarantine_id": hashlib.sha256(
                    f"{self.run_id}\x1f{item.stage}\x1f{item.url}".encode()
                ).hexdigest()[:24],
                "source": item.source,
                "stage": item.stage,
                "url": item.url,
                "native_id": item.native_id,
                "error_type": item.error_type,
                "error": item.error,
                "status": item.status,
                "raw_ref": item.raw_ref,
                "failed_at": item.failed_at,
                "run_id": self.run_id,
            }
            self._write(lambda: self.failures.add(row))
            return item
        sha256 = hashlib.sha256(item.body).hexdigest()
        # A detail page met again for a changed list entry is stored again: the entry
        # travels in its context, and its fingerprint is what the next crawl compares.
        entry = (item.native_id or "", item.entry_fingerprint) if item.entry_fingerprint else None
        if sha256 in self.known and (entry is None or entry in self.known_entries):
            stats.inc_value("exnews/pages_unchanged")
            return item
        self.known.add(sha256)
        if entry is not None:
            self.known_entries.add(entry)
        stats.inc_value("exnews/pages_stored")
        page = {
            "raw_id": raw_id(item.url, sha256),
            "source": item.source,
            "feed": item.feed,
            "page_kind": item.page_kind,
            "native_id": item.native_id,
            "url": item.url,
            "fetched_at": item.fetched_at,
            "status": item.status,
            "content_type": item.content_type,
            "headers": item.headers,
            "context": item.context,
            "entry_fingerprint": item.entry_fingerprint,
            "body": item.body,
            "sha256": sha256,
            "run_id": self.run_id,
        }
        self._write(lambda: self.pages.add(page, size_hint=len(item.body)))
        return item
