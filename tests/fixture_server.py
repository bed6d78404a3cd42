"""A local HTTP server that answers like the exchanges, from fixture files.

Routes come from ``<fixtures>/<source>/routes.json``: host, path and the query parameters
that must match (the most specific route wins). Spiders reach it through the connect-to
map, so they keep requesting the real URLs. ``python -m tests.fixture_server`` runs it for
the offline demo. A route's :class:`Fault` makes it misbehave the way real servers do.

Conditional requests: a GET answered 200 carries an ETag (a hash of the body) and a
Last-Modified (the route's, else its fixture file's modification time); a GET whose
If-None-Match names that ETag, or (without If-None-Match) whose If-Modified-Since is not
older than Last-Modified, is answered 304 with no body.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import socket
import struct
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

FIXTURES = Path(__file__).parent / "fixtures"

FaultKind = Literal["status", "stall", "reset", "truncate", "unsized", "redirect"]


@dataclass(frozen=True)
class Fault:
    """How a route misbehaves for its first ``times`` requests (None: every request).

    ``status``: answer ``status`` with ``headers`` (a 500, a 429 with Retry-After);
    ``stall``: say nothing for ``seconds``, then answer (a timeout for the client);
    ``reset``: close the connection with a TCP reset before any byte;
    ``truncate``: declare the whole body in Content-Length, send half of it, close;
    ``unsized``: send the body without Content-Length, its end marked by the close;
    ``redirect``: answer 302 to ``location``.
    """

    kind: FaultKind
    times: int | None = None
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    location: str = ""


@dataclass
class Route:
    host: str
    path: str
    body: bytes
    query: dict[str, str] = field(default_factory=dict)
    method: str = "GET"
    status: int = 200
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    fault: Fault | None = None
    last_modified: str | None = None  # an HTTP date; load_routes gives the file's mtime

    @property
    def conditional(self) -> bool:
        """Only a GET answered 200 can be asked whether it changed."""
        return self.method == "GET" and self.status == 200

    @property
    def answer_headers(self) -> dict[str, str]:
        """The route's headers, after its validators where it answers conditional requests."""
        return {**self.validators, **self.headers} if self.conditional else self.headers

    @property
    def validators(self) -> dict[str, str]:
        """ETag and Last-Modified of the route's body, for conditional requests."""
        named = {"ETag": f'"{hashlib.sha256(self.body).hexdigest()[:20]}"'}
        if self.last_modified:
            named["Last-Modified"] = self.last_modified
        return named

    def not_modified(self, if_none_match: str | None, if_modified_since: str | None) -> bool:
        """RFC 9110 13.2.2: If-None-Match decides when present, else If-Modified-Since."""
        if not self.conditional:
            return False
        if if_none_match is not None:
            tags = {tag.strip() for tag in if_none_match.split(",")}
            return "*" in tags or self.validators["ETag"] in tags
        if if_modified_since is None or self.last_modified is None:
            return False
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False
        return parsedate_to_datetime(self.last_modified) <= since

    def matches(self, method: str, host: str, path: str, query: dict[str, str]) -> bool:
        return (
            self.method == method
            and self.host in (host, "*")
            and self.path == path
            and all(query.get(key) == value for key, value in self.query.items())
        )


def load_routes(fixtures: Path = FIXTURES) -> list[Route]:
    routes = []
    for manifest in sorted(fixtures.glob("*/routes.json")):
        for entry in json.loads(manifest.read_text()):
            entry = dict(entry)
            path = manifest.parent / entry.pop("file")
            entry.setdefault("last_modified", formatdate(path.stat().st_mtime, usegmt=True))
            routes.append(Route(body=path.read_bytes(), **entry))
    return routes


class FixtureServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], routes: list[Route]) -> None:
        super().__init__(address, _Handler)
        self.routes = routes
        self.requests: list[dict[str, Any]] = []
        self._faults_served: Counter[int] = Counter()
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def route(self, method: str, host: str, path: str, query: dict[str, str]) -> Route | None:
        """The most specific matching route; among equals, the one added last."""
        candidates = [
            (route.host != "*", len(route.query), index)
            for index, route in enumerate(self.routes)
            if route.matches(method, host, path, query)
        ]
        return self.routes[max(candidates)[2]] if candidates else None

    def fault(self, route: Route) -> Fault | None:
        """The route's fault while it still applies; each call counts as one request."""
        if route.fault is None:
            return None
        with self._lock:
            self._faults_served[id(route)] += 1
            served = self._faults_served[id(route)]
        times = route.fault.times
        return route.fault if times is None or served <= times else None


class _Handler(BaseHTTPRequestHandler):
    server: FixtureServer

    def _answer(self) -> None:
        parts = urlsplit(self.path)
        host = (self.headers.get("Host") or "").split(":")[0].lower()
        query = dict(parse_qsl(parts.query))
        record = {
            "method": self.command,
            "host": host,
            "path": parts.path,
            "query": query,
            "at": time.monotonic(),
            "conditional": "If-None-Match" in self.headers or "If-Modified-Since" in self.headers,
        }
        self.server.requests.append(record)
        route = self.server.route(self.command, host, parts.path, query)
        if route is None:
            self._send(404, "application/json", {}, b'{"error": "no fixture"}')
            return
        fault = self.server.fault(route)
        # A client that gave up (a timeout, a size cap) leaves a broken pipe: expected here.
        with suppress(ConnectionError):
            if fault is not None:
                self._misbehave(fault, route)
            elif route.not_modified(
                self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since")
            ):
                record["status"] = 304
                self.send_response(304)
                for name, value in route.validators.items():
                    self.send_header(name, value)
                self.end_headers()
            else:
                record["status"] = route.status
                self._send(route.status, route.content_type, route.answer_headers, route.body)

    def _send(
        self,
        status: int,
        content_type: str,
        headers: dict[str, str],
        body: bytes,
        *,
        declared: bool = True,
        sent: int | None = None,
    ) -> None:
        """Answer; ``declared`` False omits Content-Length, ``sent`` cuts the body short."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if declared:
            self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body[:sent])

    def _misbehave(self, fault: Fault, route: Route) -> None:
        answer = (route.status, route.content_type, route.answer_headers, route.body)
        if fault.kind == "status":
            self._send(fault.status, "application/json", fault.headers, b'{"error": "fault"}')
        elif fault.kind == "stall":
            time.sleep(fault.seconds)
            self._send(*answer)
        elif fault.kind == "reset":
            linger = struct.pack("ii", 1, 0)  # close now, with RST instead of FIN
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
            self.connection.close()
        elif fault.kind == "truncate":
            self._send(*answer, sent=len(route.body) // 2)
        elif fault.kind == "unsized":
            self._send(*answer, declared=False)
        else:
            self._send(302, "text/html", {"Location": fault.location}, b"")
        self.close_connection = True

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test output is about the pipeline, not the server."""


def crawl_environment(server: FixtureServer) -> dict[str, str]:
    """What a crawl child needs to send every host's requests to ``server``, without delays."""
    return {
        "EXNEWS_CONNECT_TO": f"*={server.base_url}",
        "EXNEWS_DOWNLOAD_DELAY": "0",
        "EXNEWS_RETRY_BACKOFF_BASE": "0.1",
    }


@contextmanager
def serve(routes: list[Route], port: int = 0) -> Iterator[FixtureServer]:
    server = FixtureServer(("127.0.0.1", port), routes)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


# --- Publishing while a crawler watches ---------------------------------------------------
# ``exnews watch``'s tests and bench/freshness.py need an item that appears at a known
# moment: :func:`publish_binance` adds one to a running server, list entry and detail page.

BINANCE_CMS = "/bapi/composite/v1/public/cms/article"


@dataclass(frozen=True)
class Publication:
    """An item published on the fixture server: its feed id, title and publish time."""

    native_id: str
    title: str
    published_at: datetime


def _first_list_page(server: FixtureServer, catalog_id: int) -> Route:
    return next(
        route
        for route in server.routes
        if route.path == f"{BINANCE_CMS}/list/query"
        and route.query.get("catalogId") == str(catalog_id)
        and route.query.get("pageNo") == "1"
    )


def _edit_list_page(
    server: FixtureServer, catalog_id: int, edit: Callable[[dict[str, Any]], None]
) -> None:
    """``edit`` the catalog on its first list page, which is then newer: its fixed
    validators, if any, go with the old body, and Last-Modified is now."""
    listing = _first_list_page(server, catalog_id)
    page = json.loads(listing.body)
    edit(page["data"]["catalogs"][0])
    stale = {"etag", "last-modified"}
    listing.headers = {k: v for k, v in listing.headers.items() if k.lower() not in stale}
    listing.body = json.dumps(page).encode()
    listing.last_modified = formatdate(time.time(), usegmt=True)


def publish_binance(
    server: FixtureServer, title: str, catalog_id: int = 48, published_at: datetime | None = None
) -> Publication:
    """A new Binance announcement, visible from this call on: a detail page of its own, then
    the first entry of its catalog's first list page (so no crawler sees one without the
    other). The list page's validators, if any, go with its old body."""
    published_at = published_at or datetime.now(UTC)
    code = uuid.uuid4().hex
    released = int(published_at.timestamp() * 1000)
    text = f"{title}. Deposits open now; trading starts in one hour."
    detail = {
        "code": "000000",
        "data": {
            "code": code,
            "title": title,
            "publishDate": released,
            "firstCatalogId": catalog_id,
            "body": json.dumps(
                {"node": "root", "child": [
                    {"node": "element", "tag": "p", "child": [{"node": "text", "text": text}]}
                ]}
            ),
        },
        "success": True,
    }  # fmt: skip
    server.routes.append(
        Route(
            host="www.binance.com",
            path=f"{BINANCE_CMS}/detail/query",
            query={"articleCode": code},
            body=json.dumps(detail).encode(),
        )
    )
    entry = {"id": released, "code": code, "title": title, "type": 1, "releaseDate": released}

    def add(catalog: dict[str, Any]) -> None:
        catalog["articles"].insert(0, entry)
        catalog["total"] += 1

    _edit_list_page(server, catalog_id, add)
    return Publication(code, title, published_at)


def retitle_binance(server: FixtureServer, code: str, title: str, catalog_id: int) -> None:
    """An edited announcement as Binance shows one: the new title on its page and in its
    catalog's list, which is then newer (a crawler that skips unchanged entries sees it)."""
    detail = next(route for route in server.routes if route.query.get("articleCode") == code)
    payload = json.loads(detail.body)
    payload["data"]["title"] = title
    detail.body = json.dumps(payload).encode()

    def rename(catalog: dict[str, Any]) -> None:
        for entry in catalog["articles"]:
            if entry["code"] == code:
                entry["title"] = title

    _edit_list_page(server, catalog_id, rename)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--fixtures", type=Path, default=FIXTURES)
    arguments = parser.parse_args()
    server = FixtureServer(("127.0.0.1", arguments.port), load_routes(arguments.fixtures))
    print(f"fixture server on {server.base_url}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
