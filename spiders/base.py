"""What every exnews spider shares: the time window, the page cap and the item builders."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

import scrapy
from scrapy.exceptions import (
    DownloadCancelledError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import JsonRequest, Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from spiders.items import FetchFailure, RawPage, entry_fingerprint, raw_id

if TYPE_CHECKING:
    from warehouse.state import KnownPages

BLOCKED_STATUSES = frozenset({401, 403, 451})
_URL_HOST = re.compile(r"https?://([^/\s?#:]+)")


def json_payload(response: Response) -> Any:
    """The response's JSON, decoded from its bytes as UTF-8 (RFC 8259).

    Not ``response.text``, which follows the charset the server declares: JSON has none to
    declare, and a wrong one (``charset=iso-8859-1``) turns "USDⓈ" into "USDâ“ˆ". A UTF-8
    byte order mark is tolerated, as RFC 8259 allows.
    """
    return json.loads(response.body.decode("utf-8-sig"))


def parse_moment(value: str | datetime | None) -> datetime | None:
    """An ISO date or datetime (naive means UTC) as an aware UTC datetime."""
    if value is None or value == "":
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class WindowedSpider(scrapy.Spider):
    """A spider over a newest-first feed, limited to ``[since, until)`` and ``max_pages``."""

    exchange: ClassVar[str]
    feed: ClassVar[str]
    kind: ClassVar[str]  # "official API", "site JSON", "RSS" or "HTML"
    endpoints: ClassVar[dict[str, str]]
    # JSON APIs are not pages: robots.txt, which governs pages, is obeyed for HTML only.
    api_requests: ClassVar[bool] = False
    # A source whose newest item is older than this is flagged as stale.
    expected_cadence: ClassVar[timedelta] = timedelta(days=7)

    @classmethod
    def hosts(cls) -> frozenset[str]:
        """The hosts this source publishes on (its endpoints' and download slots'): a crawl
        never sends a request anywhere else."""
        named = (host for text in cls.endpoints.values() for host in _URL_HOST.findall(text))
        slots = (cls.custom_settings or {}).get("DOWNLOAD_SLOTS", {})
        return frozenset(host.lower() for host in (*named, *slots))

    def __init__(
        self,
        since: str | datetime | None = None,
        until: str | datetime | None = None,
        max_pages: int | str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.since = parse_moment(since)
        self.until = parse_moment(until)
        self.max_pages_argument = max_pages

    @property
    def max_pages(self) -> int:
        if self.max_pages_argument is not None:
            return int(self.max_pages_argument)
        return self.settings.getint("EXNEWS_MAX_PAGES", 20)

    @property
    def incremental(self) -> bool:
        """An ingest from where the source left off, not a fixed (backfill) window."""
        return self.until is None

    @cached_property
    def known(self) -> KnownPages:
        """What finished runs already processed for this window, read once per crawl.

        Imported here: the crawl fork server preloads spiders, and must not load pyarrow or
        DuckDB, whose threads a fork does not copy (spiders.crawl). A spider with no
        warehouse (one built alone, as the parser tests do) knows nothing.
        """
        from warehouse.layout import warehouse_root
        from warehouse.state import KnownPages, known_pages

        settings = getattr(self, "settings", None)
        warehouse = settings.get("EXNEWS_WAREHOUSE") if settings is not None else None
        if not warehouse:
            return KnownPages()
        return known_pages(warehouse_root(warehouse), self.name, self.since, self.until)

    def in_window(self, moment: datetime | None) -> bool:
        if moment is None:
            return self.since is None
        return (self.since is None or moment >= self.since) and (
            self.until is None or moment < self.until
        )

    def reached_start(self, oldest_on_page: datetime | None) -> bool:
        """Newest-first lists: once a page goes below ``since`` the rest is older still."""
        return self.since is not None and oldest_on_page is not None and oldest_on_page < self.since

    def should_page(
        self,
        page_no: int,
        entries: int,
        page_size: int,
        oldest: datetime | None,
        known: bool = False,
    ) -> bool:
        """Ask for page ``page_no + 1``? Not past a short page, the window's start or the cap,
        nor, in an incremental crawl, past a page holding only ``known`` entries."""
        if entries < page_size or self.reached_start(oldest):
            return False
        if known and self.incremental:
            self.crawler.stats.inc_value("exnews/paging_stopped_at_known")
            return False
        if page_no >= self.max_pages:
            self.crawler.stats.inc_value("exnews/page_cap_reached")
            return False
        return True

    def request(
        self,
        url: str,
        callback: Callable[..., Any],
        json_body: dict[str, Any] | None = None,
        page: bool = False,
        **context: Any,
    ) -> scrapy.Request:
        """GET (or POST ``json_body``); ``context`` reaches the callback as keywords.

        ``page=True`` marks an HTML page of an API source: robots.txt applies to it. A
        ``native_id`` in the context names the item in a failed fetch's quarantine row.
        """
        meta: dict[str, Any] = {"dont_obey_robotstxt": self.api_requests and not page}
        if urlsplit(url).hostname in (self.custom_settings or {}).get("DOWNLOAD_SLOTS", {}):
            # AutoThrottle may only slow a host down, never below the delay we set for it.
            meta["autothrottle_dont_adjust_delay"] = True
        options: dict[str, Any] = {
            "callback": callback,
            "errback": self.fetch_failed,
            "cb_kwargs": context,
            "meta": meta,
        }
        if json_body is not None:
            return JsonRequest(url, data=json_body, **options)
        return scrapy.Request(url, **options)

    def detail_request(
        self,
        url: str,
        callback: Callable[..., Any],
        *,
        native_id: str,
        list_entry: Any,
        page: bool = False,
        **context: Any,
    ) -> scrapy.Request | None:
        """The request for a list entry's detail page, or None when a finished run already
        processed that page for the same entry (``list_entry``, as the list gives it).

        ``context`` reaches the callback, as in :meth:`request`.
        """
        fingerprint = entry_fingerprint(list_entry)
        if (native_id, fingerprint) in self.known.entries:
            self.crawler.stats.inc_value("exnews/details_skipped")
            return None
        request = self.request(url, callback, page=page, native_id=native_id, **context)
        request.meta["entry_fingerprint"] = fingerprint
        return request

    def page_known(self, response: Response, details: list[scrapy.Request | None]) -> bool:
        """Nothing on a list page is new: each in-window entry's detail was skipped as
        unchanged or, where the page asks for no details, its payload was processed before.

        An entry whose detail failed is not known, so its page is read on, and it retried.
        """
        if details:
            return not any(details)
        return hashlib.sha256(response.body).hexdigest() in self.known.payloads

    def raw_page(
        self,
        response: Response,
        page_kind: str,
        native_id: str | None = None,
        context: dict[str, Any] | None = None,
        feed: str | None = None,
    ) -> RawPage:
        """The payload as stored; ``feed`` names it where a source has several (blog, status)."""
        content_type = response.headers.get(b"Content-Type")
        request = response.request
        return RawPage(
            source=self.name,
            feed=feed or self.feed,
            page_kind=page_kind,
            url=response.url,
            fetched_at=datetime.now(UTC),
            status=response.status,
            content_type=content_type.decode("latin-1") if content_type else None,
            headers={
                key.decode("latin-1"): b", ".join(values).decode("latin-1")
                for key, values in response.headers.items()
            },
            body=response.body,
            native_id=native_id,
            context=json.dumps(context, sort_keys=True) if context else None,
            entry_fingerprint=request.meta.get("entry_fingerprint") if request else None,
        )

    def fetch_failed(self, failure: Failure) -> FetchFailure:
        """Errback: a request that gave up becomes a quarantine row, never a silent gap.

        The row's URL is the one the spider asked for, before any redirect.
        """
        request = failure.request  # type: ignore[attr-defined]
        status = failure.value.response.status if failure.check(HttpError) else None
        error = self.failure_reason(failure, request)
        self.logger.warning("fetch failed: %s", error)
        return FetchFailure(
            source=self.name,
            url=request.meta.get("redirect_urls", [request.url])[0],
            error_type=failure.type.__name__ if failure.type else "Failure",
            error=error,
            failed_at=datetime.now(UTC),
            status=status,
            native_id=request.cb_kwargs.get("native_id"),
            blocked=status in BLOCKED_STATUSES,
        )

    def failure_reason(self, failure: Failure, request: scrapy.Request) -> str:
        """Why a request gave up, in words a person reading ``quarantine`` can act on.

        Scrapy's own messages name the connect-to address, not the real URL, or nothing.
        """
        error = failure.value
        retries = request.meta.get("retry_times", 0)
        where = f"({request.url})" + (f" after {retries} retries" if retries else "")
        if isinstance(error, HttpError):
            return f"HTTP {error.response.status} {where}"
        if isinstance(error, IgnoreRequest):  # a refused host, a decompression bomb
            return str(error)
        if isinstance(error, ResponseDataLossError):
            return f"truncated body: fewer bytes than its Content-Length {where}"
        if isinstance(error, DownloadTimeoutError):
            seconds = request.meta.get(
                "download_timeout", self.settings.getfloat("DOWNLOAD_TIMEOUT")
            )
            return f"timed out after {seconds:g} s {where}"
        if isinstance(error, DownloadCancelledError):
            limit = self.settings.getint("DOWNLOAD_MAXSIZE")
            return f"body over DOWNLOAD_MAXSIZE ({limit} B), download cancelled {where}"
        if isinstance(error, DownloadFailedError):  # wraps Twisted's list of reasons
            reasons = getattr(error.__cause__, "reasons", [])
            lost = "; ".join(reason.getErrorMessage() for reason in reasons) or str(error)
            return f"connection failed: {lost} {where}"
        return f"{failure.getErrorMessage()} {where}"

    def parse_failed(
        self, response: Response, error: Exception, *, stored: bool = True
    ) -> FetchFailure:
        """A response a callback could not read (a changed layout, an API error payload)
        becomes a ``parse`` quarantine row naming what was missing; ``stored`` when the
        callback kept the payload first, which ``raw_ref`` then points at."""
        assert response.request is not None
        callback = getattr(response.request.callback, "__name__", "parse")
        reason = f"{callback} could not read {response.url}: {layout_reason(error)}"
        self.logger.warning("parse failed: %s", reason)
        sha256 = hashlib.sha256(response.body).hexdigest()
        return FetchFailure(
            source=self.name,
            url=response.url,
            error_type=type(error).__name__,
            error=reason,
            failed_at=datetime.now(UTC),
            status=response.status,
            native_id=response.request.cb_kwargs.get("native_id"),
            stage="parse",
            raw_ref=raw_id(response.url, sha256) if stored else None,
        )


def layout_reason(error: Exception) -> str:
    """What a callback found missing or malformed, said plainly."""
    if isinstance(error, KeyError):
        return f"missing field {error.args[0]!r}"
    if isinstance(error, IndexError):
        return f"an expected list entry is missing ({error})"
    if isinstance(error, json.JSONDecodeError):
        return f"not JSON: {error}"
    if isinstance(error, UnicodeDecodeError):
        return f"not UTF-8: {error}"
    return str(error) or type(error).__name__


class AnnouncementPagesSpider(WindowedSpider):
    """An official JSON list whose articles are HTML pages (Bybit, Bitget)."""

    def page_request(
        self, url: str, native_id: str, entry: dict[str, Any]
    ) -> scrapy.Request | None:
        """Unlike the JSON API beside it, an HTML page is governed by robots.txt."""
        return self.detail_request(
            url, self.parse_detail, page=True, native_id=native_id, list_entry=entry, entry=entry
        )

    def parse_detail(
        self, response: Response, native_id: str, entry: dict[str, Any]
    ) -> Iterator[Any]:
        """The list entry travels along: the page may lack its time, type and description."""
        yield self.raw_page(response, "detail", native_id=native_id, context={"entry": entry})
