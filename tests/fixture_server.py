"""A local HTTP server that answers like the exchanges, from fixture files.

Routes come from ``<fixtures>/<source>/routes.json``: host, path and the query parameters
that must match (the most specific route wins). Spiders reach it through the connect-to
map, so they keep requesting the real URLs. ``python -m tests.fixture_server`` runs it for
the offline demo.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

FIXTURES = Path(__file__).parent / "fixtures"


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
    delay: float = 0.0  # seconds before answering: a slow host keeps a crawl in flight

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
            body = (manifest.parent / entry.pop("file")).read_bytes()
            routes.append(Route(body=body, **entry))
    return routes


class FixtureServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], routes: list[Route]) -> None:
        super().__init__(address, _Handler)
        self.routes = routes
        self.requests: list[dict[str, Any]] = []

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


class _Handler(BaseHTTPRequestHandler):
    server: FixtureServer

    def _answer(self) -> None:
        parts = urlsplit(self.path)
        host = (self.headers.get("Host") or "").split(":")[0].lower()
        query = dict(parse_qsl(parts.query))
        self.server.requests.append(
            {
                "method": self.command,
                "host": host,
                "path": parts.path,
                "query": query,
                "at": time.monotonic(),
            }
        )
        route = self.server.route(self.command, host, parts.path, query)
        if route is None:
            body, status, content_type, headers = (
                b'{"error": "no fixture"}',
                404,
                "application/json",
                {},
            )
        else:
            body, status = route.body, route.status
            content_type, headers = route.content_type, route.headers
            time.sleep(route.delay)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test output is about the pipeline, not the server."""


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
