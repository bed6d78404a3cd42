"""Binance announcements: the CMS list per catalog (newest first), then each detail."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar
from urllib.parse import urlencode

import scrapy
from scrapy.http import Response

from spiders.base import WindowedSpider
from transform.times import from_epoch_ms

API = "https://www.binance.com/bapi/composite/v1/public/cms/article"

# catalogId -> name, as the CMS and RSSHub name them.
CATALOGS = {
    48: "New Cryptocurrency Listing",
    49: "Latest Binance News",
    50: "New Fiat Listings",
    51: "API Updates",
    93: "Latest Activities",
    128: "Crypto Airdrop",
    157: "Wallet Maintenance Updates",
    161: "Delisting",
}


class BinanceSpider(WindowedSpider):
    name = "binance"
    exchange = "binance"
    feed = "announcements"
    kind = "site JSON (bapi CMS)"
    endpoints: ClassVar[dict[str, str]] = {
        "list": f"{API}/list/query?type=1&catalogId=<id>&pageNo=<n>&pageSize=20",
        "detail": f"{API}/detail/query?articleCode=<code>",
    }
    page_size = 20
    custom_settings: ClassVar[dict[str, Any]] = {
        "DEFAULT_REQUEST_HEADERS": {
            "Accept": "application/json",
            "Accept-Language": "en",
            "clienttype": "web",
            "lang": "en",
        },
    }

    def list_request(self, catalog_id: int, page_no: int) -> scrapy.Request:
        query = urlencode(
            {"type": 1, "catalogId": catalog_id, "pageNo": page_no, "pageSize": self.page_size}
        )
        return scrapy.Request(
            f"{API}/list/query?{query}",
            callback=self.parse_list,
            errback=self.fetch_failed,
            cb_kwargs={"catalog_id": catalog_id, "page_no": page_no},
            # An API the site itself serves to browsers; robots.txt governs its pages.
            meta={"dont_obey_robotstxt": True},
        )

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for catalog_id in CATALOGS:
            yield self.list_request(catalog_id, 1)

    def parse_list(self, response: Response, catalog_id: int, page_no: int) -> Iterator[Any]:
        yield self.raw_page(
            response, "list", context={"catalog_id": catalog_id, "page_no": page_no}
        )
        try:
            catalogs = json.loads(response.text)["data"]["catalogs"]
            entries = [entry for catalog in catalogs for entry in catalog["articles"]]
        except (ValueError, KeyError, TypeError):
            return  # the stored page is quarantined by transform with the reason
        dated = [(entry, from_epoch_ms(entry.get("releaseDate"))) for entry in entries]
        for entry, moment in dated:
            if self.in_window(moment):
                yield scrapy.Request(
                    f"{API}/detail/query?{urlencode({'articleCode': entry['code']})}",
                    callback=self.parse_detail,
                    errback=self.fetch_failed,
                    cb_kwargs={"native_id": entry["code"]},
                    meta={"dont_obey_robotstxt": True},
                )
        oldest = min((moment for _, moment in dated if moment), default=None)
        full_page = len(entries) >= self.page_size
        if full_page and not self.reached_start(oldest):
            if page_no < self.max_pages:
                yield self.list_request(catalog_id, page_no + 1)
            else:
                self.crawler.stats.inc_value("exnews/page_cap_reached")

    def parse_detail(self, response: Response, native_id: str) -> Iterator[Any]:
        yield self.raw_page(response, "detail", native_id=native_id)
