"""Send requests for real hosts to another address, keeping the real URL everywhere else.

Done in the download handler, not a middleware, so that download slots, robots.txt,
retries, items and the warehouse all see the real URL and only the socket moves.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from scrapy import Request
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.crawler import Crawler
from scrapy.http import Response


def parse_connect_to(spec: str) -> dict[str, str]:
    """``"www.binance.com=http://127.0.0.1:8765,*=http://mirror"`` to ``{host: base}``."""
    mapping: dict[str, str] = {}
    for entry in filter(None, (part.strip() for part in spec.split(","))):
        host, separator, base = entry.partition("=")
        target = urlsplit(base.strip())
        if not separator or not host.strip() or target.scheme not in ("http", "https"):
            raise ValueError(f"connect-to entry {entry!r} is not HOST=http(s)://ADDRESS[:PORT]")
        mapping[host.strip().lower()] = base.strip().rstrip("/")
    return mapping


def connect_url(url: str, mapping: dict[str, str]) -> str | None:
    """The URL to actually fetch for ``url``, or None when its host is not mapped."""
    parts = urlsplit(url)
    base = mapping.get((parts.hostname or "").lower()) or mapping.get("*")
    if base is None:
        return None
    target = urlsplit(base)
    path = target.path + parts.path
    return urlunsplit((target.scheme, target.netloc, path, parts.query, ""))


class ConnectToDownloadHandler(HTTP11DownloadHandler):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.mapping = parse_connect_to(crawler.settings.get("CONNECT_TO", ""))

    async def download_request(self, request: Request) -> Response:
        target = connect_url(request.url, self.mapping)
        if target is None:
            return await super().download_request(request)
        host = urlsplit(request.url).netloc
        redirected = request.replace(url=target, headers={**request.headers, "Host": host})
        response = await super().download_request(redirected)
        return response.replace(url=request.url)
