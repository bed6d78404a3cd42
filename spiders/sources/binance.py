"""Binance announcements: the CMS list per catalog (newest first), then each detail."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any, ClassVar
from urllib.parse import urlencode

import scrapy
from scrapy.http import Response

from spiders.base import WindowedSpider, json_payload
from transform.extract.dates import parse_datetime

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
    kind = "site JSON"
    api_requests = True
    endpoints: ClassVar[dict[str, str]] = {
        "list": f"{API}/list/query?type=1&catalogId=<id>&pageNo=<n>&pageSize=20",
        "detail": f"{API}/detail/query?articleCode=<code>",
    }
    page_size = 20
    expected_cadence = timedelta(days=2)
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
        return self.request(
            f"{API}/list/query?{query}", self.parse_list, catalog_id=catalog_id, page_no=page_no
        )

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for catalog_id in CATALOGS:
            yield self.list_request(catalog_id, 1)

    def parse_list(self, response: Response, catalog_id: int, page_no: int) -> Iterator[Any]:
        yield self.raw_page(
            response, "list", context={"catalog_id": catalog_id, "page_no": page_no}
        )
        catalogs = json_payload(response)["data"]["catalogs"]
        entries = [entry for catalog in catalogs for entry in catalog["articles"]]
        dated = [(entry, parse_datetime(entry.get("releaseDate"))) for entry in entries]
        details = [
            self.detail_request(
                f"{API}/detail/query?{urlencode({'articleCode': entry['code']})}",
                self.parse_detail,
                native_id=entry["code"],
                list_entry=entry,
            )
            for entry, moment in dated
            if self.in_window(moment)
        ]
        yield from filter(None, details)
        oldest = min((moment for _, moment in dated if moment), default=None)
        known = self.page_known(response, details)
        if self.should_page(page_no, len(entries), self.page_size, oldest, known):
            yield self.list_request(catalog_id, page_no + 1)

    def parse_detail(self, response: Response, native_id: str) -> Iterator[Any]:
        yield self.raw_page(response, "detail", native_id=native_id)
