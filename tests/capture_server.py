"""Serve the real captured Binance responses (``../shared/reference/captures/binance``).

The list capture (set B, 2026-10-08) and the detail captures (set A, 2026-10-04) were
taken on different days, so the detail articles are not on the captured list page. The
server answers the catalog's list with the captured page plus the detail articles as list
entries in the page's own shape (code, title, releaseDate = publishDate), so a crawl
discovers every captured article. Details it has no capture for answer 404.
``python -m tests.capture_server --port 8766`` runs it by hand.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from tests.fixture_server import FixtureServer, Route

LIST_PATH = "/bapi/composite/v1/public/cms/article/list/query"
DETAIL_PATH = "/bapi/composite/v1/public/cms/article/detail/query"
HOST = "www.binance.com"


def binance_capture_routes(folder: Path) -> list[Route]:
    details = {
        path.stem.removeprefix("detail-"): json.loads(path.read_bytes())
        for path in sorted(folder.glob("detail-*.json"))
    }
    routes = [
        Route(HOST, DETAIL_PATH, path.read_bytes(), query={"articleCode": code})
        for code, path in ((c, folder / f"detail-{c}.json") for c in details)
    ]
    listing = json.loads((folder / "list-catalog-161.json").read_bytes())
    catalog = listing["data"]["catalogs"][0]
    listed = {entry["code"] for entry in catalog["articles"]}
    catalog["articles"] += [
        {
            "id": None,
            "code": code,
            "title": detail["data"]["title"],
            "type": 1,
            "releaseDate": detail["data"]["publishDate"],
        }
        for code, detail in details.items()
        if code not in listed
    ]
    catalog["articles"].sort(key=lambda entry: entry["releaseDate"], reverse=True)
    query = {"catalogId": str(catalog["catalogId"]), "pageNo": "1"}
    routes.append(Route(HOST, LIST_PATH, json.dumps(listing).encode(), query=query))
    return routes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument(
        "--captures",
        type=Path,
        default=Path(__file__).resolve().parents[2] / "shared/reference/captures/binance",
    )
    arguments = parser.parse_args()
    server = FixtureServer(
        ("127.0.0.1", arguments.port), binance_capture_routes(arguments.captures)
    )
    print(f"capture server on {server.base_url}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
