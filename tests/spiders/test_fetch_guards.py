"""The fetch guards decided on URLs and payloads alone, no network: which hosts a crawl may
reach, how JSON is decoded, and what a callback that cannot read its response leaves."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.http import TextResponse
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from spiders.base import json_payload
from spiders.items import raw_id
from spiders.middlewares import ParseFailureMiddleware, RefusedHost, SourceHostsMiddleware
from spiders.registry import source_names, spider_class
from spiders.sources.binance import BinanceSpider
from spiders.sources.okx import API, KNOWN_TYPES, OkxSpider

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
DETAIL = "https://www.binance.com/bapi/composite/v1/public/cms/article/detail/query?articleCode=c1"
LIST = "https://www.binance.com/bapi/composite/v1/public/cms/article/list/query?catalogId=48"


@pytest.fixture
def spider() -> BinanceSpider:
    """A Binance spider in a crawler whose connect-to map sends every host to loopback."""
    crawler = get_crawler(BinanceSpider, {"CONNECT_TO": "*=http://127.0.0.1:9"})
    crawler.spider = BinanceSpider.from_crawler(crawler)
    return crawler.spider


def guard(spider: BinanceSpider) -> SourceHostsMiddleware:
    assert spider.crawler is not None
    return SourceHostsMiddleware.from_crawler(spider.crawler)


@pytest.mark.parametrize("source", source_names())
def test_every_host_a_source_is_served_from_is_one_of_its_hosts(source: str):
    """The guard would refuse the source's own pages otherwise."""
    routes = json.loads((FIXTURES / source / "routes.json").read_text())
    assert {route["host"] for route in routes} <= spider_class(source).hosts()


def test_a_request_on_the_source_host_passes_although_connect_to_maps_it_to_loopback(
    spider: BinanceSpider,
):
    assert guard(spider).process_request(Request(DETAIL)) is None
    redirected = Request(DETAIL + "&v=2", meta={"redirect_urls": [DETAIL]})
    assert guard(spider).process_request(redirected) is None


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.1:8080/x",
        "http://10.0.0.7/admin",
        "http://172.16.3.4/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/",
        "http://0.0.0.0/",
        "http://224.0.0.1/",
        "http://localhost:8080/",
        "http://api.localhost/",
        "http://[::1]/",
        "http://[fe80::1]/",
        "http://[fd00::1]/",
        "http://[::ffff:127.0.0.1]/",
    ],
)
def test_a_redirect_to_a_private_or_loopback_address_is_refused(spider: BinanceSpider, target: str):
    redirected = Request(target, meta={"redirect_urls": [DETAIL]})
    with pytest.raises(RefusedHost, match="private, loopback or reserved address") as refused:
        guard(spider).process_request(redirected)
    assert str(refused.value).startswith(f"refused redirect from {DETAIL} to {target}")


@pytest.mark.parametrize(
    "target",
    ["https://news.example/x", "https://binance.com/x", "https://www.binance.com.evil.io/x",
     "https://8.8.8.8/x"],
)  # fmt: skip
def test_a_request_or_redirect_to_another_host_is_refused(spider: BinanceSpider, target: str):
    with pytest.raises(RefusedHost, match="is not a host of binance"):
        guard(spider).process_request(Request(target))
    with pytest.raises(RefusedHost, match="is not a host of binance"):
        guard(spider).process_request(Request(target, meta={"redirect_urls": [DETAIL]}))


def test_a_refused_redirect_is_quarantined_under_the_url_asked_for(spider: BinanceSpider):
    redirected = Request(
        "http://10.0.0.7/admin",
        meta={"redirect_urls": [DETAIL]},
        cb_kwargs={"native_id": "c1"},
    )
    try:
        guard(spider).process_request(redirected)
    except RefusedHost:
        failure = Failure()
    failure.request = redirected  # type: ignore[attr-defined]
    row = spider.fetch_failed(failure)
    assert (row.stage, row.url, row.native_id, row.error_type) == (
        "fetch",
        DETAIL,
        "c1",
        "RefusedHost",
    )
    assert "10.0.0.7 is a private, loopback or reserved address" in row.error


def response(url: str, body: bytes, content_type: bytes, **context: object) -> TextResponse:
    request = Request(url, cb_kwargs=context)
    return TextResponse(url, body=body, headers={"Content-Type": content_type}, request=request)


@pytest.mark.parametrize(
    "content_type",
    [b"application/json", b"application/json; charset=iso-8859-1", b"text/plain; charset=cp1252"],
)
def test_json_is_read_as_utf8_whatever_charset_is_declared(content_type: bytes):
    title = "OKX to delist selected USDⓈ spot trading pairs"
    body = json.dumps({"title": title}, ensure_ascii=False).encode()
    assert json_payload(response(LIST, body, content_type))["title"] == title
    with_bom = response(LIST, b"\xef\xbb\xbf" + body, content_type)
    assert json_payload(with_bom)["title"] == title


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"code": "000000", "data": {"lists": []}}', "missing field 'catalogs'"),
        (b'{"code": "000000", "data": {"catal', "not JSON: "),
        (b'{"code": "100001", "data": null}', "'NoneType' object is not subscriptable"),
        (b'{"data": {"catalogs": [{"title": "\xff"}]}}', "not UTF-8: "),
    ],
)
def test_a_list_the_spider_cannot_read_leaves_a_parse_row_naming_what_failed(
    spider: BinanceSpider, body: bytes, reason: str
):
    listed = response(LIST, body, b"application/json", catalog_id=48, page_no=1)
    listed.request.callback = spider.parse_list  # type: ignore[union-attr]
    with pytest.raises(Exception) as raised:
        list(spider.parse_list(listed, catalog_id=48, page_no=1))
    assert spider.crawler is not None
    middleware = ParseFailureMiddleware.from_crawler(spider.crawler)
    (row,) = middleware.process_spider_exception(listed, raised.value) or []
    assert (row.stage, row.url, row.status) == ("parse", LIST, 200)
    assert row.error.startswith(f"parse_list could not read {LIST}: ") and reason in row.error
    assert row.raw_ref == raw_id(LIST, hashlib.sha256(body).hexdigest())


def test_unreadable_announcement_types_are_quarantined_and_the_known_types_crawled():
    spider = OkxSpider.from_crawler(get_crawler(OkxSpider))
    body = b'{"code": "0", "types": []}'
    types = response(f"{API}/announcement-types", body, b"application/json")
    types.request.callback = spider.parse_types  # type: ignore[union-attr]
    failure, *first_pages = spider.parse_types(types)
    assert (failure.stage, failure.raw_ref) == ("parse", None)  # the page is not stored
    assert "missing field 'data'" in failure.error
    assert [request.cb_kwargs["ann_type"] for request in first_pages] == list(KNOWN_TYPES)
