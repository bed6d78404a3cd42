"""OKX announcements: the official list per announcement type (newest first), then each
article's help-centre page for the body."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any, ClassVar
from urllib.parse import urlencode

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from spiders.base import WindowedSpider, json_payload
from transform.extract.dates import parse_datetime
from transform.sources.okx import HELP_URL, article_slug, entry_time

API = "https://www.okx.com/api/v5/support"

# The types OKX's help centre sections are named by, for when /announcement-types fails.
KNOWN_TYPES = (
    "announcements-new-listings",
    "announcements-delistings",
    "announcements-trading-updates",
    "announcements-deposit-withdrawal-suspension-resumption",
    "announcements-p2p-trading",
    "announcements-web3",
    "announcements-earn",
    "announcements-jumpstart",
    "announcements-api",
    "announcements-okb-buy-back-burn",
    "announcements-others",
    "announcements-activities",
)


class OkxSpider(WindowedSpider):
    name = "okx"
    exchange = "okx"
    feed = "announcements"
    kind = "official API"
    api_requests = True
    endpoints: ClassVar[dict[str, str]] = {
        "list": f"{API}/announcements?annType=<type>&page=<n> (types: {API}/announcement-types)",
        "detail": f"{HELP_URL.format(slug='<slug>')} (appState script + <article>)",
    }
    page_size = 20  # fixed by the API
    custom_settings: ClassVar[dict[str, Any]] = {
        "DEFAULT_REQUEST_HEADERS": {
            "Accept": "application/json, text/html;q=0.9",
            "Accept-Language": "en-US,en;q=0.8",  # en-US: English announcements
        },
        # The announcement API allows 5 requests per 2 s per IP; the help pages share the
        # host, so one request at a time, 0.4 s apart, covers both.
        "DOWNLOAD_SLOTS": {"www.okx.com": {"concurrency": 1, "delay": 0.4}},
    }

    def list_request(self, ann_type: str, page_no: int) -> scrapy.Request:
        query = urlencode({"annType": ann_type, "page": page_no})
        return self.request(
            f"{API}/announcements?{query}", self.parse_list, ann_type=ann_type, page_no=page_no
        )

    async def start(self) -> AsyncIterator[scrapy.Request]:
        request = self.request(f"{API}/announcement-types", self.parse_types)
        yield request.replace(errback=self.types_failed)

    def parse_types(self, response: Response) -> Iterator[Any]:
        """The types this region has (results differ by IP); the known ones if unreadable,
        which is quarantined at the parse stage (the types page itself is not stored)."""
        try:
            types = [entry["annType"] for entry in json_payload(response)["data"]]
        except (ValueError, KeyError, TypeError) as error:
            yield self.parse_failed(response, error, stored=False)
            types = []
        if not types:
            self.logger.warning("no announcement types, using the known ones")
        yield from self.first_pages(types or KNOWN_TYPES)

    def types_failed(self, failure: Failure) -> Iterator[Any]:
        yield self.fetch_failed(failure)
        yield from self.first_pages(KNOWN_TYPES)

    def first_pages(self, types: Iterable[str]) -> Iterator[scrapy.Request]:
        return (self.list_request(ann_type, 1) for ann_type in types)

    def parse_list(self, response: Response, ann_type: str, page_no: int) -> Iterator[Any]:
        """No time filter in the API: page until the window's start, ``totalPage`` or the cap."""
        yield self.raw_page(response, "list", context={"ann_type": ann_type, "page_no": page_no})
        listing = json_payload(response)["data"][0]
        entries, total_pages = listing["details"], int(listing["totalPage"])
        # The same article in two types' lists is fetched once (Scrapy's dupefilter).
        details = [
            self.detail_request(
                HELP_URL.format(slug=article_slug(entry["url"])),
                self.parse_detail,
                page=True,
                native_id=article_slug(entry["url"]),
                list_entry=entry,
                entry=entry,
            )
            for entry in entries
            if self.in_window(entry_time(entry)) and entry.get("url")
        ]
        yield from filter(None, details)
        # The list is ordered by pTime, the actual publish time.
        oldest = min(filter(None, (parse_datetime(e.get("pTime")) for e in entries)), default=None)
        more = page_no < total_pages
        known = self.page_known(response, details)
        if more and self.should_page(page_no, len(entries), self.page_size, oldest, known):
            yield self.list_request(ann_type, page_no + 1)

    def parse_detail(
        self, response: Response, native_id: str, entry: dict[str, Any]
    ) -> Iterator[Any]:
        """The list entry travels along: title, time and type when the page lacks appState."""
        yield self.raw_page(response, "detail", native_id=native_id, context={"entry": entry})
