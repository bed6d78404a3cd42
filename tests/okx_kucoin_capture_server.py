"""Serve the real captured OKX and KuCoin responses (``../shared/reference/captures``).

OKX. The two list captures answered the same URL (``annType=announcements-delistings``)
from a US address (set A) and an EEA one (set B, trimmed to 4 items); one server can only
be one region, so it answers that list with both, in the API's own shape: entries merged
newest first by ``pTime``, one per slug (the US entry kept: AERGO is in both), cut into the
API's fixed pages of 20 with ``totalPage`` recomputed. ``/announcement-types`` answers the
types those entries carry, described as the help capture's section names them. Each help
capture answers ``/help/<slug>``, the URL it was captured from; other help pages get 404.

KuCoin. The captured list is the site CMS list (delistings category); the official v3 list
the spider reads was not captured. The server answers ``/api/v3/announcements`` for
``annType=latest-announcements`` (every captured item carries it) with the CMS items in the
v3 shape: ``annTitle`` = title, ``annType`` = the category paths, ``cTime`` = publish_ts in
ms, ``annUrl`` = ``https://www.kucoin.com/announcement<path>?lang=en_US``, ``annId`` null and
``annDesc`` empty (the reduced capture dropped ids and summaries), paged by the spider's
``pageSize``. It ignores ``startTime``/``endTime``. The CMS article capture answers its own
path; other articles get 404.

``python -m tests.okx_kucoin_capture_server --port 8767`` runs it by hand.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

from spiders.sources.kucoin import ANN_TYPE, LANG, KucoinSpider
from spiders.sources.okx import OkxSpider
from tests.fixture_server import FixtureServer, Route
from transform.extract.html import parse_document, script_json
from transform.sources.okx import article_slug

OKX = "www.okx.com"
OKX_LISTS = ("announcements-delistings-us-egress.json", "announcements-delistings-eea-egress.json")
KUCOIN_API = "api.kucoin.com"
KUCOIN_SITE = "www.kucoin.com"


def okx_entries(folder: Path) -> list[dict[str, Any]]:
    """Both regional list captures as one list: newest first, one entry per slug."""
    entries: dict[str, dict[str, Any]] = {}
    for name in OKX_LISTS:
        for entry in json.loads((folder / name).read_bytes())["data"][0]["details"]:
            entries.setdefault(article_slug(entry["url"]), entry)
    return sorted(entries.values(), key=lambda entry: int(entry["pTime"]), reverse=True)


def okx_help_pages(folder: Path) -> dict[str, bytes]:
    return {
        path.stem.removeprefix("help-"): path.read_bytes() for path in folder.glob("help-*.html")
    }


def _okx_sections(pages: dict[str, bytes]) -> dict[str, str]:
    sections = {}
    for page in pages.values():
        state = script_json(parse_document(page), "appState") or {}
        section = state["appContext"]["serverSideProps"]["currentPost"]["section"]
        sections[section["slug"]] = section["title"]
    return sections


def okx_capture_routes(folder: Path) -> list[Route]:
    entries, pages = okx_entries(folder), okx_help_pages(folder)
    sections = _okx_sections(pages)
    types = list(dict.fromkeys(entry["annType"] for entry in entries))
    described = [{"annType": kind, "annTypeDesc": sections.get(kind, kind)} for kind in types]
    routes = [
        Route(
            OKX,
            "/api/v5/support/announcement-types",
            json.dumps({"code": "0", "msg": "", "data": described}).encode(),
        )
    ]
    for kind in types:
        listed = [entry for entry in entries if entry["annType"] == kind]
        size = OkxSpider.page_size
        total = math.ceil(len(listed) / size)
        for page_no in range(1, total + 1):
            details = listed[(page_no - 1) * size : page_no * size]
            body = {"code": "0", "msg": "", "data": [{"details": details, "totalPage": str(total)}]}
            query = {"annType": kind, "page": str(page_no)}
            routes.append(
                Route(OKX, "/api/v5/support/announcements", json.dumps(body).encode(), query=query)
            )
    routes += [
        Route(OKX, f"/help/{slug}", page, content_type="text/html; charset=utf-8")
        for slug, page in pages.items()
    ]
    return routes


def kucoin_items(folder: Path) -> list[dict[str, Any]]:
    """The CMS list capture's items in the v3 list's shape."""
    listing = json.loads((folder / "cms-articles-delistings.json").read_bytes())
    return [
        {
            "annId": None,
            "annTitle": item["title"],
            "annType": [category["path"] for category in item["categories"]],
            "annDesc": "",
            "cTime": item["publish_ts"] * 1000,
            "language": LANG,
            "annUrl": f"https://www.kucoin.com/announcement{item['path']}?lang={LANG}",
        }
        for item in listing["items"]
    ]


def kucoin_articles(folder: Path) -> dict[str, bytes]:
    """CMS article captures by path (without the leading slash)."""
    return {
        path.stem.removeprefix("cms-article-"): path.read_bytes()
        for path in folder.glob("cms-article-*.json")
    }


def kucoin_capture_routes(folder: Path) -> list[Route]:
    items = [item for item in kucoin_items(folder) if ANN_TYPE in item["annType"]]
    size = KucoinSpider.page_size
    total = math.ceil(len(items) / size)
    routes = []
    for page_no in range(1, total + 1):
        data = {
            "totalNum": len(items),
            "totalPage": total,
            "currentPage": page_no,
            "pageSize": size,
            "items": items[(page_no - 1) * size : page_no * size],
        }
        query = {"annType": ANN_TYPE, "currentPage": str(page_no), "pageSize": str(size)}
        body = json.dumps({"code": "200000", "data": data}).encode()
        routes.append(Route(KUCOIN_API, "/api/v3/announcements", body, query=query))
    routes += [
        Route(KUCOIN_SITE, f"/_api/cms/articles/{path}", article, query={"lang": LANG})
        for path, article in kucoin_articles(folder).items()
    ]
    return routes


def okx_kucoin_capture_routes(captures: Path) -> list[Route]:
    """Routes for both exchanges from the captures root (``.../captures``)."""
    return okx_capture_routes(captures / "okx") + kucoin_capture_routes(captures / "kucoin")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8767)
    parser.add_argument(
        "--captures",
        type=Path,
        default=Path(__file__).resolve().parents[2] / "shared/reference/captures",
    )
    arguments = parser.parse_args()
    routes = okx_kucoin_capture_routes(arguments.captures)
    server = FixtureServer(("127.0.0.1", arguments.port), routes)
    print(f"capture server on {server.base_url}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
