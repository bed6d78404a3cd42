"""Faults injected by the local fixture server into real crawls (issue 8, the fetch half).

Each crawl runs the ingest flow for Binance (or OKX), where the faults are, with Kraken
beside it, healthy: crawl child processes through the connect-to map, transform, Parquet,
DuckDB. A fault that passes is retried and its article lands; one that does not is a
``quarantine`` row with its stage and reason, counted in the run's row and artifact; Kraken
lands what it lands without faults. Every fault hits several items; faults of one kind
share a crawl (each on its own items) and each has its own test and ledger row.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from prefect.artifacts import Artifact

from flows.ingest import ingest
from flows.report import report_table
from spiders.settings import DOWNLOAD_MAXSIZE, RETRY_TIMES
from tests.faults.ledger import audit, record
from tests.fixture_server import (
    Fault,
    FixtureServer,
    Route,
    crawl_environment,
    load_routes,
    serve,
)
from warehouse import connect

pytestmark = pytest.mark.usefixtures("prefect_backend")

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
BINANCE = "www.binance.com"
KRAKEN_HOSTS = {"blog.kraken.com", "status.kraken.com"}
DETAIL_PATH = "/bapi/composite/v1/public/cms/article/detail/query"
LIST_PATH = "/bapi/composite/v1/public/cms/article/list/query"
# The bundled fixtures' own faults, in every run: a detail that 404s, one that is malformed.
FIXTURE_FAULTS = {"f3750889a7cc60511eb49239c5c76167", "8e04a12e3dc9e4731366ac773e3a8a43"}
TIMEOUT_SECONDS = 2.0


def expected(source: str) -> dict[str, int]:
    """Articles, articles with a body and quarantine rows an unfaulted ingest gives."""
    return json.loads((FIXTURES / source / "expected.json").read_text())


def list_codes() -> dict[int, list[str]]:
    """The article codes on each Binance catalog's first list page."""
    codes = {}
    for path in FIXTURES.glob("binance/list-*-p1.json"):
        catalogs = json.loads(path.read_text())["data"]["catalogs"]
        codes[int(path.name.split("-")[1])] = [a["code"] for c in catalogs for a in c["articles"]]
    return codes


def healthy_codes(*catalogs: int) -> list[str]:
    """Binance articles whose detail the fixtures serve well, in a stable order, but for
    those only ``catalogs`` list."""
    lists = list_codes()
    named = {code for catalog, codes in lists.items() if catalog not in catalogs for code in codes}
    return sorted(named - FIXTURE_FAULTS)


def allot(sizes: dict[str, int], codes: list[str]) -> dict[str, list[str]]:
    """Consecutive, disjoint runs of ``codes``: so many items for each fault."""
    allotted, start = {}, 0
    for fault, size in sizes.items():
        allotted[fault], start = codes[start : start + size], start + size
    assert start <= len(codes), "more faulty items than fixture articles"
    return allotted


def inject(server: FixtureServer, codes: list[str], **changes: Any) -> None:
    """Serve each code's detail changed so (the route added last wins over the fixture's)."""
    for code in codes:
        fixture = next(
            route
            for route in server.routes
            if route.path == DETAIL_PATH and route.query.get("articleCode") == code
        )
        server.routes.append(replace(fixture, **changes))


def tries(server: FixtureServer, code: str) -> list[float]:
    """When the server was asked for ``code``'s detail, in order."""
    return [r["at"] for r in server.requests if r["query"].get("articleCode") == code]


def bodies(warehouse: Path) -> set[str]:
    """Binance articles that landed with their body."""
    query = "select native_id from articles where source = 'binance' and body_text is not null"
    return {row[0] for row in connect(warehouse).execute(query).fetchall()}


@dataclass(frozen=True)
class Quarantined:
    stage: str
    native_id: str | None
    url: str
    error: str
    raw_ref: str | None


def quarantine(warehouse: Path) -> list[Quarantined]:
    query = "select stage, native_id, url, error, raw_ref from quarantine where source = 'binance'"
    return [Quarantined(*row) for row in connect(warehouse).execute(query).fetchall()]


def fetch_errors(warehouse: Path, codes: list[str]) -> dict[str, str]:
    """The fetch-stage error of each of ``codes`` that has one."""
    rows = quarantine(warehouse)
    return {r.native_id: r.error for r in rows if r.stage == "fetch" and r.native_id in codes}


def run(
    warehouse: Path, source: str = "binance", lookback_hours: int = 72
) -> dict[str, dict[str, Any]]:
    """Ingest ``source`` and Kraken; the report by source, checked against the ``runs`` rows
    and the artifact the run published, and Kraken checked untouched."""
    report = ingest(
        sources=[source, "kraken"], lookback_hours=lookback_hours, warehouse=str(warehouse)
    )
    artifact = Artifact.get("ingest-report")
    assert artifact is not None and json.loads(str(artifact.data)) == report_table(report)
    connection = connect(warehouse)
    for row in report:
        stored = connection.execute(
            "select status, quarantined, errors from runs where run_id = ?", [row["run_id"]]
        ).fetchone()
        assert stored == (row["status"], row["quarantined"], row["errors"])
    kraken = expected("kraken")
    landed = connection.execute(
        "select count(*), count(body_text) from articles where source = 'kraken'"
    ).fetchone()
    assert landed == (kraken["articles"], kraken["with_body"])
    rows = {row["source"]: row for row in report}
    assert rows["kraken"]["quarantined"] == kraken["quarantined"]
    return rows


def settle(fault: str, injected: int, articles: int, warehouse: Path, outcome: str) -> None:
    """The fault's ledger row; clean means every expected article, no duplicate, no bad file."""
    total = articles + expected("kraken")["articles"]
    row = record(fault, injected, total, audit(warehouse), outcome)
    assert row.clean, row


@dataclass
class Crawl:
    """One ingest with faults injected: where it wrote, what the server saw, what it said."""

    warehouse: Path
    server: FixtureServer
    runs: dict[str, dict[str, Any]]


def faulty_ingest(
    tmp_path_factory: pytest.TempPathFactory, faults: Callable[[FixtureServer], None]
) -> Iterator[Crawl]:
    """A fixture server with ``faults`` added, and one Binance and Kraken ingest against it."""
    warehouse = tmp_path_factory.mktemp("warehouse")
    with serve(load_routes()) as server, pytest.MonkeyPatch.context() as env:
        # Short, so that a timeout costs seconds, not the 30 s a real crawl allows.
        variables = crawl_environment(server) | {"EXNEWS_DOWNLOAD_TIMEOUT": str(TIMEOUT_SECONDS)}
        for name, value in variables.items():
            env.setenv(name, value)
        faults(server)
        yield Crawl(warehouse, server, run(warehouse))


def crawl_fixture(faults: Callable[[FixtureServer], None]) -> Any:
    """A module fixture: one crawl with ``faults``, shared by the tests of each fault."""

    @pytest.fixture(scope="module")
    def crawl(prefect_backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawl]:
        yield from faulty_ingest(tmp_path_factory, faults)

    return crawl


@dataclass(frozen=True)
class Passing:
    """A fault that gives way after ``fault.times`` tries; its lasting twin never does."""

    name: str
    fault: Fault
    reason: str  # in a lasting one's quarantine row
    wait: float = 0.0  # at least this long between two tries

    @property
    def lasting(self) -> Fault:
        return replace(self.fault, times=None)


PASSING = [
    Passing("500 burst", Fault("status", times=2), "HTTP 500"),
    Passing(
        "429 with Retry-After",
        Fault("status", times=1, status=429, headers={"Retry-After": "1"}),
        "HTTP 429",
        wait=1.0,
    ),
    Passing(
        "timeout",
        Fault("stall", times=1, seconds=TIMEOUT_SECONDS * 2),
        f"timed out after {TIMEOUT_SECONDS:g} s",
        wait=TIMEOUT_SECONDS,
    ),
    Passing("connection reset", Fault("reset", times=2), "connection failed: Connection"),
    Passing("truncated body", Fault("truncate", times=1), "truncated body"),
]
PASSING_ITEMS, LASTING_ITEMS = 5, 2
PASSING_CODES = allot(
    {case.name: PASSING_ITEMS + LASTING_ITEMS for case in PASSING}, healthy_codes()
)


def passing_faults(server: FixtureServer) -> None:
    """Every passing fault, each on its own details, in one crawl."""
    for case in PASSING:
        codes = PASSING_CODES[case.name]
        inject(server, codes[:PASSING_ITEMS], fault=case.fault)
        inject(server, codes[PASSING_ITEMS:], fault=case.lasting)


passing_crawl = crawl_fixture(passing_faults)


@pytest.mark.parametrize("case", PASSING, ids=lambda case: case.name)
def test_a_passing_fault_is_retried_and_a_lasting_one_quarantined(
    case: Passing, passing_crawl: Crawl
):
    server, warehouse = passing_crawl.server, passing_crawl.warehouse
    passing = PASSING_CODES[case.name][:PASSING_ITEMS]
    lasting = PASSING_CODES[case.name][PASSING_ITEMS:]
    assert case.fault.times is not None
    for code in passing:
        moments = tries(server, code)
        assert len(moments) == case.fault.times + 1, code
        assert all(later - earlier >= case.wait for earlier, later in pairwise(moments))
    assert [len(tries(server, code)) for code in lasting] == [RETRY_TIMES + 1] * len(lasting)
    assert set(passing) <= bodies(warehouse) and not set(lasting) & bodies(warehouse)
    errors = fetch_errors(warehouse, lasting)
    assert set(errors) == set(lasting)
    retried = f"after {RETRY_TIMES} retries"
    assert all(case.reason in error and retried in error for error in errors.values()), errors
    binance = expected("binance")
    assert passing_crawl.runs["binance"]["status"] == "partial"
    lasting_in_crawl = LASTING_ITEMS * len(PASSING)
    assert passing_crawl.runs["binance"]["quarantined"] == binance["quarantined"] + lasting_in_crawl
    settle(
        case.name,
        len(passing) + len(lasting),
        binance["articles"],
        warehouse,
        f"{len(passing)} retried and landed; {len(lasting)} quarantined at fetch: "
        + next(iter(errors.values())),
    )


@cache
def oversize_body() -> bytes:
    return b" " * (DOWNLOAD_MAXSIZE + 1024 * 1024)


@cache
def gzip_bomb() -> bytes:
    """A few kilobytes that expand past DOWNLOAD_MAXSIZE."""
    return gzip.compress(oversize_body(), compresslevel=9)


@dataclass(frozen=True)
class Unfetchable:
    """A detail too large to hold: refused at once, never retried."""

    name: str
    changes: Callable[[], dict[str, Any]]  # of the detail's route
    reason: str


UNFETCHABLE = [
    Unfetchable("page over 16 MB", lambda: {"body": oversize_body()}, "over DOWNLOAD_MAXSIZE"),
    Unfetchable(
        "page over 16 MB without Content-Length",
        lambda: {"body": oversize_body(), "fault": Fault("unsized")},
        "over DOWNLOAD_MAXSIZE",
    ),
    Unfetchable(
        "gzip bomb",
        lambda: {"body": gzip_bomb(), "headers": {"Content-Encoding": "gzip"}},
        "during decompression",
    ),
]


@dataclass(frozen=True)
class Redirect:
    """Details that redirect elsewhere: ``reason`` None means followed, else refused so."""

    name: str
    targets: Callable[[FixtureServer], list[str]]  # one Location per item, articleCode added
    reason: str | None


REDIRECTS = [
    Redirect(
        "redirect on the source's host",
        lambda server: [f"https://{BINANCE}{DETAIL_PATH}?v=2"] * 5,
        None,
    ),
    Redirect(
        "redirect to another host",
        lambda server: [f"https://news.example{DETAIL_PATH}"] * 5,
        "news.example is not a host of binance",
    ),
    Redirect(
        "redirect to a private address",
        lambda server: [
            f"http://127.0.0.1:{server.server_address[1]}{DETAIL_PATH}",
            "http://10.0.0.7/admin",
            "http://169.254.169.254/latest/meta-data/",
            f"http://localhost:{server.server_address[1]}/",
            f"http://[::1]:{server.server_address[1]}/",
        ],
        "is a private, loopback or reserved address",
    ),
]
REFUSED_CODES = allot(
    {case.name: 4 for case in UNFETCHABLE} | {case.name: 5 for case in REDIRECTS},
    healthy_codes(),
)


def refused_faults(server: FixtureServer) -> None:
    """Pages too large to hold and redirects, each on its own details, in one crawl."""
    for case in UNFETCHABLE:
        inject(server, REFUSED_CODES[case.name], **case.changes())
    for redirect in REDIRECTS:
        for code, target in zip(
            REFUSED_CODES[redirect.name], redirect.targets(server), strict=True
        ):
            location = f"{target}{'&' if '?' in target else '?'}articleCode={code}"
            # Once: a redirect on the source's host comes back to this same route.
            fault = Fault("redirect", times=None if redirect.reason else 1, location=location)
            inject(server, [code], fault=fault)


refused_crawl = crawl_fixture(refused_faults)


# The details the refused crawl cannot have: too large, or redirected away.
REFUSED_ITEMS = sum(
    len(REFUSED_CODES[name])
    for name in [case.name for case in UNFETCHABLE] + [r.name for r in REDIRECTS if r.reason]
)


@pytest.mark.parametrize("case", UNFETCHABLE, ids=lambda case: case.name)
def test_a_page_too_large_to_hold_is_quarantined_without_a_retry(
    case: Unfetchable, refused_crawl: Crawl
):
    server, warehouse = refused_crawl.server, refused_crawl.warehouse
    faulty = REFUSED_CODES[case.name]
    assert [len(tries(server, code)) for code in faulty] == [1] * len(faulty)
    assert not set(faulty) & bodies(warehouse)
    errors = fetch_errors(warehouse, faulty)
    assert set(errors) == set(faulty)
    assert all(case.reason in error for error in errors.values()), errors
    binance = expected("binance")
    quarantined = binance["quarantined"] + REFUSED_ITEMS
    assert refused_crawl.runs["binance"]["quarantined"] == quarantined
    outcome = f"quarantined at fetch, not retried: {next(iter(errors.values()))}"
    settle(case.name, len(faulty), binance["articles"], warehouse, outcome)


@pytest.mark.parametrize("case", REDIRECTS, ids=lambda case: case.name)
def test_a_redirect_is_followed_only_on_the_source_hosts(case: Redirect, refused_crawl: Crawl):
    server, warehouse = refused_crawl.server, refused_crawl.warehouse
    codes = REFUSED_CODES[case.name]
    # Every address maps to the fixture server: a followed redirect would show here.
    assert {r["host"] for r in server.requests} == {BINANCE} | KRAKEN_HOSTS
    if case.reason is None:
        assert [len(tries(server, code)) for code in codes] == [2] * len(codes)
        assert set(codes) <= bodies(warehouse)
        outcome = "followed, landed"
    else:
        assert [len(tries(server, code)) for code in codes] == [1] * len(codes)
        errors = fetch_errors(warehouse, codes)
        assert set(errors) == set(codes)
        assert all(case.reason in error for error in errors.values()), errors
        urls = {row.url for row in quarantine(warehouse) if row.native_id in codes}
        detail = f"https://{BINANCE}{DETAIL_PATH}?articleCode="
        assert urls == {f"{detail}{code}" for code in codes}  # asked for, not the target
        outcome = f"refused before any request, quarantined at fetch: {errors[codes[0]]}"
    settle(case.name, len(codes), expected("binance")["articles"], warehouse, outcome)


def cut(body: bytes) -> bytes:
    return body[: len(body) // 2]


def rename(field: str, to: str) -> Callable[[bytes], bytes]:
    """A layout change: the first ``field`` key of a JSON payload is called ``to``."""
    return lambda body: body.replace(f'"{field}"'.encode(), f'"{to}"'.encode(), 1)


@dataclass(frozen=True)
class BadPayload:
    """A list page and some details the spider receives whole but cannot read."""

    name: str
    catalog: int  # whose first list page is broken
    list_body: Callable[[bytes], bytes]
    detail_body: Callable[[bytes], bytes]
    list_reason: str  # of the spider's parse row
    detail_reason: str  # of transform's row for a detail
    list_transform_rows: int  # transform has nothing to say about a list it finds empty


BAD_PAYLOADS = [
    BadPayload("invalid JSON", 128, cut, cut, "not JSON", "not JSON", 1),
    BadPayload(
        "changed layout",
        157,
        rename("articles", "entries"),
        rename("body", "content"),
        "missing field 'articles'",
        "has no body string",
        0,
    ),
]
BROKEN_LISTS = [case.catalog for case in BAD_PAYLOADS]
BAD_CODES = allot({case.name: 6 for case in BAD_PAYLOADS}, healthy_codes(*BROKEN_LISTS))


def bad_payload_faults(server: FixtureServer) -> None:
    """Broken list pages and details, each kind on its own, in one crawl."""
    for case in BAD_PAYLOADS:
        query = {"catalogId": str(case.catalog), "pageNo": "1"}
        listed = next(r for r in server.routes if r.path == LIST_PATH and r.query == query)
        server.routes.append(replace(listed, body=case.list_body(listed.body)))
        for code in BAD_CODES[case.name]:
            detail = next(r for r in server.routes if r.query.get("articleCode") == code)
            inject(server, [code], body=case.detail_body(detail.body))


bad_payload_crawl = crawl_fixture(bad_payload_faults)


@pytest.mark.parametrize("case", BAD_PAYLOADS, ids=lambda case: case.name)
def test_a_payload_that_cannot_be_read_is_quarantined_at_parse_and_transform(
    case: BadPayload, bad_payload_crawl: Crawl
):
    server, warehouse = bad_payload_crawl.server, bad_payload_crawl.warehouse
    lost = list_codes()[case.catalog]  # only that list names them: no detail requested
    assert all(not tries(server, code) for code in lost)
    rows = quarantine(warehouse)
    (parse,) = [r for r in rows if r.stage == "parse" and f"catalogId={case.catalog}&" in r.url]
    assert case.list_reason in parse.error
    raw = connect(warehouse).execute("select url from raw_pages where raw_id = ?", [parse.raw_ref])
    assert raw.fetchone() == (parse.url,)  # the payload itself is kept, for a reprocess
    transform = [row for row in rows if row.stage == "transform"]
    assert len([row for row in transform if row.url == parse.url]) == case.list_transform_rows
    faulty = BAD_CODES[case.name]
    details = {row.native_id: row.error for row in transform if row.native_id in faulty}
    assert set(details) == set(faulty)
    assert all(case.detail_reason in error for error in details.values()), details
    assert not set(faulty) & bodies(warehouse)
    binance = expected("binance")
    added = sum(1 + bad.list_transform_rows + len(BAD_CODES[bad.name]) for bad in BAD_PAYLOADS)
    assert bad_payload_crawl.runs["binance"]["quarantined"] == binance["quarantined"] + added
    articles = binance["articles"] - sum(len(list_codes()[catalog]) for catalog in BROKEN_LISTS)
    outcome = f"list quarantined at parse ({parse.error}); details at transform"
    settle(case.name, 1 + len(faulty), articles, warehouse, outcome)


# Per OKX list: the Content-Type it is served with, whether its items' help pages carry
# their title (appState) or leave it to the list entry the spider carries along, the titles.
OKX_LISTS = {
    "announcements-new-listings": (
        "application/json",
        True,
        [
            "OKX to list Déjà (DÉJÀ) for spot trading",
            "OKX to list €URO (EURO), a euro stablecoin",
            "OKX to list 🚀 ROCKET (RKT) for spot trading",
        ],
    ),
    "announcements-delistings": (
        "application/json; charset=iso-8859-1",
        False,
        [
            "OKX to delist selected USDⓈ spot trading pairs",
            "OKX to delist USDⓈ-margined “quanto” futures",
            "OKX to delist 欧易 test pairs (OKB/USDⓈ)",
        ],
    ),
}
# The help pages of each list go without a charset, with a wrong one and with the right one.
HTML_TYPES = ("text/html", "text/html; charset=iso-8859-1", "text/html; charset=utf-8")
OKX_API = "/api/v5/support"


def okx_help_page(slug: str, title: str, ann_type: str, app_state: bool) -> bytes:
    """A help page in the real one's shape, its text raw UTF-8 as OKX sends it."""
    post = {"slug": slug, "title": title, "publishTime": "2026-11-20T16:00+08:00"}
    state = {
        "appContext": {"serverSideProps": {"currentPost": post | {"section": {"slug": ann_type}}}}
    }
    script = f'<script id="appState">{json.dumps(state, ensure_ascii=False)}</script>'
    return (
        f'<!DOCTYPE html><html lang="en"><head><title>{title} | OKX</title>'
        f'{script if app_state else ""}</head><body><article aria-label="{title}">'
        f'<div class="index_richTextContent__nBEOc"><p>{title}: trading ends at 8:00 am UTC.</p>'
        "</div></article></body></html>"
    ).encode()


def okx_routes() -> tuple[list[Route], dict[str, str]]:
    """The lists and help pages of ``OKX_LISTS``, and each help page's title by slug."""
    types = {"code": "0", "data": [{"annType": ann_type} for ann_type in OKX_LISTS]}
    routes = [Route("www.okx.com", f"{OKX_API}/announcement-types", json.dumps(types).encode())]
    titles = {}
    for ann_type, (list_type, app_state, list_titles) in OKX_LISTS.items():
        entries = []
        for number, (title, page_type) in enumerate(zip(list_titles, HTML_TYPES, strict=True)):
            slug = f"{ann_type}-{number}"
            titles[slug] = title
            url, moment = f"https://www.okx.com/help/{slug}", str(1795000000000 - number)
            entries.append({"annType": ann_type, "title": title, "url": url, "pTime": moment})
            page = okx_help_page(slug, title, ann_type, app_state)
            routes.append(Route("www.okx.com", f"/help/{slug}", page, content_type=page_type))
        payload = {"code": "0", "msg": "", "data": [{"details": entries, "totalPage": "1"}]}
        body = json.dumps(payload, ensure_ascii=False).encode()
        query = {"annType": ann_type, "page": "1"}
        path = f"{OKX_API}/announcements"
        routes.append(Route("www.okx.com", path, body, query, content_type=list_type))
    return routes, titles


def test_json_and_html_keep_their_text_whatever_charset_is_declared(
    warehouse: Path, fixture_server: FixtureServer
):
    routes, titles = okx_routes()
    fixture_server.routes += routes
    runs = run(warehouse, "okx")

    rows = (
        connect(warehouse)
        .execute("select native_id, title, body_text from articles where source = 'okx'")
        .fetchall()
    )
    assert {native_id: title for native_id, title, _ in rows} == titles
    assert all(body.startswith(titles[native_id]) for native_id, _, body in rows)
    assert runs["okx"]["status"] == "completed"
    settle(
        "JSON and HTML without or with a wrong charset",
        len(titles) + len(OKX_LISTS),
        len(titles),
        warehouse,
        "decoded as UTF-8 from the bytes: every title and body exact",
    )


def test_a_rerun_after_the_faults_fills_the_gaps_and_duplicates_nothing(
    warehouse: Path, fixture_server: FixtureServer
):
    faulty = healthy_codes()[:6]
    inject(fixture_server, faulty, fault=Fault("status"))
    run(warehouse)
    assert not set(faulty) & bodies(warehouse)
    stored = connect(warehouse).execute("select count(*) from raw_pages").fetchone()[0]

    del fixture_server.routes[-len(faulty) :]  # the server recovers
    runs = run(warehouse, lookback_hours=24 * 365 * 10)  # back over every stored article
    assert set(faulty) <= bodies(warehouse)
    assert runs["binance"]["items_new"] == 0
    connection = connect(warehouse)
    # The recovered details are the only new payloads; the record of what failed stays.
    assert connection.execute("select count(*) from raw_pages").fetchone() == (
        stored + len(faulty),
    )
    failed = connection.execute(
        "select native_id from quarantine where stage = 'fetch' and status = 500"
    ).fetchall()
    assert sorted(native_id for (native_id,) in failed) == faulty
    binance = expected("binance")
    settle(
        "500s until a rerun",
        len(faulty),
        binance["articles"],
        warehouse,
        "quarantined, then landed on the rerun; nothing lost or duplicated",
    )
