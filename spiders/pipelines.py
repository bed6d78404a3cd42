"""Store every payload in ``raw_pages`` and every failed fetch in ``quarantine``, in batches."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Self

from scrapy.crawler import Crawler

from spiders.items import FetchFailure, RawPage
from warehouse.schemas import TABLES
from warehouse.state import processed_payloads
from warehouse.writer import BatchWriter


def raw_id(url: str, sha256: str) -> str:
    """The same payload at the same URL is the same raw page, whichever run fetched it."""
    return hashlib.sha256(f"{url}\x1f{sha256}".encode()).hexdigest()[:24]


class RawPageWriter:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.root = Path(crawler.settings.get("EXNEWS_WAREHOUSE"))
        self.run_id = crawler.settings.get("EXNEWS_RUN_ID")
        self.pages = BatchWriter(self.root, TABLES["raw_pages"], max_rows=500)
        self.failures = BatchWriter(self.root, TABLES["quarantine"], max_rows=500)
        self.known: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def open_spider(self) -> None:
        assert self.crawler.spider is not None
        self.known = processed_payloads(self.root, self.crawler.spider.name)

    def close_spider(self) -> None:
        self.pages.flush()
        self.failures.flush()

    def process_item(self, item: RawPage | FetchFailure) -> RawPage | FetchFailure:
        stats = self.crawler.stats
        if isinstance(item, FetchFailure):
            stats.inc_value(f"exnews/{item.stage}_failures")
            if item.blocked:
                stats.inc_value("exnews/blocked")
            self.failures.add(
                {
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
            )
            return item
        sha256 = hashlib.sha256(item.body).hexdigest()
        if sha256 in self.known:
            stats.inc_value("exnews/pages_unchanged")
            return item
        self.known.add(sha256)
        stats.inc_value("exnews/pages_stored")
        self.pages.add(
            {
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
                "body": item.body,
                "sha256": sha256,
                "run_id": self.run_id,
            },
            size_hint=len(item.body),
        )
        return item
