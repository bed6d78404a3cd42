"""The warehouse at scale: build N generated articles, time the queries researchers run.

    nice -n 10 .venv/bin/python -m bench.warehouse build --articles 100000 --out /tmp/wh-100k
    nice -n 10 .venv/bin/python -m bench.warehouse run [--sizes 10000 100000 1000000]

``build`` writes through the project's own write path (``upsert_articles`` per source and
month, then the edits as second versions; ``raw_pages`` and ``runs`` beside them),
compacts, and builds the search index. ``run`` builds and indexes each size under
``--scratch``, times every query (median of five, through ``warehouse.connect()``) and
``warehouse.search.search`` before and after compaction (the index updated after it, as
every compaction does), times a no-op ingest's state reads and, at the largest size,
``exnews search`` less ``exnews sql "select 1"``, deletes the warehouse, and keeps the
figures in ``<scratch>/exnews-bench-results.json``; the table of every size kept there
goes into ``docs/benchmarks.md``, so sizes can be measured by separate runs.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import itertools
import json
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flows.process import Window, process_pages
from transform.enrich.category import TAXONOMY
from warehouse import connect, search
from warehouse.compaction import DEFAULT_RETENTION, compact
from warehouse.reader import iter_raw_pages
from warehouse.schemas import TABLES
from warehouse.state import newest_published_at, processed_payloads, resume_point
from warehouse.versions import ArticleVersion, upsert_articles
from warehouse.views import live_files
from warehouse.writer import write_rows

SOURCES = (
    "binance", "bitget", "bybit", "coinbase", "gate_announcements",
    "gate_news", "gate_square", "kraken", "kucoin", "okx",
)  # fmt: skip
END = datetime(2026, 11, 30, tzinfo=UTC)  # the data's "now": queries say "this year" of it
YEARS = 5
EDITED = 0.05
CHINESE = 0.2
LOOKBACK = timedelta(hours=72)
REPEATS = 5
DOCS = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
HEADING = "## Warehouse at scale (issue 9)"
RESULTS = "exnews-bench-results.json"
NOOP_TURNS = "exnews-bench-noop.json"
ASSETS = Path(__file__).resolve().parents[1] / "transform" / "enrich" / "data" / "assets.csv"

ENGLISH = (
    "To provide a better trading experience, {exchange} will perform a scheduled upgrade "
    "maintenance of its matching engine. Deposits and withdrawals of {coin} will be "
    "suspended during the upgrade maintenance and resume automatically once it completes.",
    "Users are advised to manage their positions and open orders in advance. Pending orders "
    "on the {coin}/USDT spot pair will be cancelled at the start of the window, and "
    "trigger orders will not execute until trading resumes.",
    "{exchange} will list {coin} in the Innovation Zone and open trading for the {coin}/USDT "
    "and {coin}/USDC spot pairs. Deposits open now; withdrawals open one day after trading "
    "begins. The Seed Tag applies: seed-tagged tokens may carry higher volatility and risk.",
    "After a periodic review, {exchange} will delist {coin} and cease trading on all its "
    "spot pairs. Users can withdraw their assets for ninety days after the delisting; "
    "after that date the remaining balances may be converted into stablecoins.",
    "Futures trading for the {coin}USDT perpetual contract will open with up to 50x leverage. "
    "The funding rate is settled every eight hours, and the tick size, minimum order "
    "quantity and price limits are listed on the contract specification page.",
    "Eligible users who complete the tasks during the promotion period will share a prize "
    "pool of {amount} {coin}. Rewards are distributed within fourteen working days after "
    "the campaign ends, and accounts found to abuse the programme are disqualified.",
    "The network upgrade of {coin} is scheduled for block height {amount}. {exchange} will "
    "handle all technical requirements for users holding {coin} on the platform, and will "
    "support the hard fork; no action is needed from users.",
    "Please note that the margin tiers and the maximum leverage of the {coin} contracts "
    "will be adjusted. Positions opened before the change are not affected, but any "
    "position adjustment after the change follows the new tiers.",
    "Risk warning: cryptocurrency trading is subject to high market risk. Please make "
    "sure you understand the risks involved and invest carefully. {exchange} will make "
    "best efforts to choose high-quality coins, but is not responsible for losses.",
    "Thank you for your support! {exchange} Team, {date}. Find us on X, Telegram, "
    "Facebook and Instagram. {exchange} reserves the right of final interpretation.",
    "The {coin} Earn product offers a flexible annual yield of up to {amount}%. "
    "Subscriptions are on a first-come, first-served basis and redemptions arrive instantly "
    "to the spot account, subject to the daily redemption quota.",
    "Our security team detected unusual activity on a third-party bridge used by {coin}. "
    "As a precaution, deposits of {coin} are paused until the project confirms the "
    "network is safe; all user funds on {exchange} remain fully backed.",
)
CHINESE_PARAGRAPHS = (
    "为了提供更好的交易体验，{exchange}将于{date}对撮合引擎进行系统升级维护，维护期间{coin}的充值和提现将暂停，"
    "维护完成后将自动恢复，请用户提前做好相应安排。",
    "{exchange}将上线{coin}，并开放{coin}/USDT现货交易对。充值现已开放，提现将于交易开始后一天开放。"
    "新币交易存在较高波动风险，请用户注意投资风险。",
    "经过定期审查，{exchange}将下架{coin}并停止其所有现货交易对的交易。下架后九十天内用户仍可提取资产，"
    "逾期未提取的余额可能会被兑换为稳定币。",
    "活动期间完成任务的合格用户将瓜分{amount}枚{coin}奖池，奖励将在活动结束后十四个工作日内发放。",
    "风险提示：数字资产交易存在较高市场风险，请确保充分了解相关风险并谨慎投资。"
    "感谢您的支持！{exchange}团队 {date}",
    "{coin}永续合约将开放交易，最高支持50倍杠杆，资金费率每八小时结算一次，具体参数请参见合约说明页面。",
)
TITLES = {
    "listing": (
        "{exchange} Will List {name} ({coin}) with Seed Tag Applied",
        "{exchange}将上线{coin}",
    ),
    "delisting": ("Notice of Removal of Spot Trading Pairs - {coin}/USDT", "关于下架{coin}的公告"),
    "maintenance": (
        "Scheduled System Upgrade and Maintenance on {date}",
        "系统升级维护公告（{date}）",
    ),
    "deposit_withdrawal": ("Suspension of {coin} Deposits and Withdrawals", "暂停{coin}充提公告"),
    "trading_rules": (
        "Adjustment of Leverage and Margin Tiers for {coin} Contracts",
        "{coin}合约杠杆调整公告",
    ),
    "product": ("Introducing {coin} Flexible Earn with Up to {amount}% APR", "{coin}理财产品上线"),
    "promotion": (
        "Trade {coin} and Share {amount} {coin} in Rewards",
        "交易{coin}瓜分{amount}奖励",
    ),
    "airdrop": ("{coin} HODLer Airdrop: Eligible Users Receive {coin}", "{coin}空投活动"),
    "security": ("Security Notice: {coin} Deposits Paused as a Precaution", "{coin}安全提示"),
    "regulation": ("Update on Our Licence and Services for {name} Users", "关于合规服务的更新"),
    "market_news": ("{name} ({coin}) Rises After Network Upgrade", "{coin}网络升级后上涨"),
    "other": ("{exchange} Weekly Report: {coin} and More", "{exchange}周报"),
}


def _coins() -> tuple[list[str], list[str], list[float]]:
    """Symbols, names (the project's asset list) and cumulative Zipf weights: BTC, ETH, …"""
    with ASSETS.open(encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if row["kind"] == "crypto"]
    seen = {row["symbol"]: row["name"] for row in rows}
    symbols = list(seen)
    weights = [1 / (rank + 1) for rank in range(len(symbols))]
    return symbols, [seen[s] for s in symbols], list(itertools.accumulate(weights))


SYMBOLS, NAMES, CUMULATIVE_WEIGHTS = _coins()


def _months() -> list[datetime]:
    first = END.replace(year=END.year - YEARS, day=1)
    months, cursor = [], first
    while cursor < END:
        months.append(cursor)
        cursor = (cursor + timedelta(days=32)).replace(day=1)
    return months


def _article(rng: random.Random, source: str, index: int, published: datetime) -> dict[str, Any]:
    coin_index = rng.choices(range(len(SYMBOLS)), cum_weights=CUMULATIVE_WEIGHTS)[0]
    coin, name = SYMBOLS[coin_index], NAMES[coin_index]
    chinese = rng.random() < CHINESE
    category = rng.choice(TAXONOMY)
    values = {
        "exchange": source.split("_")[0].capitalize(), "coin": coin, "name": name,
        "amount": rng.randrange(10, 100_000), "date": published.strftime("%Y-%m-%d"),
    }  # fmt: skip
    pool = CHINESE_PARAGRAPHS if chinese else ENGLISH
    body = "\n\n".join(
        p.format(**values) for p in rng.sample(pool, rng.randint(3, min(8, len(pool))))
    )
    others = rng.choices(SYMBOLS[:40], k=rng.randint(0, 2))
    article_id = hashlib.sha256(f"{source}\x1f{index}".encode()).hexdigest()[:24]
    return {
        "article_id": article_id, "source": source, "exchange": values["exchange"],
        "feed": "announcements", "native_id": str(index),
        "url": f"https://example.{source}.com/announcement/{index}",
        "language": "zh" if chinese else "en",
        "title": TITLES[category][chinese].format(**values), "summary": body[:160],
        "body_text": body, "body_markdown": body, "published_at": published,
        "fetched_at": published + timedelta(minutes=rng.randint(1, 60)),
        "category": category, "source_categories": [category],
        "coins": list(dict.fromkeys([coin, *others])), "pairs": [f"{coin}/USDT"],
        "fingerprint": hashlib.md5(body.encode()).hexdigest()[:16],
        "story_id": article_id, "raw_ref": article_id,
    }  # fmt: skip


@dataclass(frozen=True)
class Batch:
    """One source's articles of one month, first versions and the later edits."""

    source: str
    month: datetime
    first: list[dict[str, Any]]
    edits: list[dict[str, Any]]


def batches(articles: int) -> Iterator[Batch]:
    """Deterministic: the same ``articles`` give the same rows, batch by batch."""
    months = _months()
    per_batch = articles / (len(SOURCES) * len(months))
    made = 0
    for month_number, month in enumerate(months):
        following = months[month_number + 1] if month_number + 1 < len(months) else END
        span = (following - month).total_seconds()
        for source_number, source in enumerate(SOURCES):
            target = round(per_batch * (month_number * len(SOURCES) + source_number + 1))
            rng = random.Random(f"{source}/{month:%Y-%m}")
            first = [
                _article(rng, source, index, month + timedelta(seconds=rng.random() * span))
                for index in range(made, target)
            ]
            made = target
            edits = [
                {**row, "body_text": row["body_text"] + "\n\nUpdate: the schedule was extended.",
                 "fetched_at": row["fetched_at"] + timedelta(days=rng.randint(1, 3))}
                for row in first if rng.random() < EDITED
            ]  # fmt: skip
            yield Batch(source, month, first, edits)


def _raw_page(row: dict[str, Any], run_id: str) -> dict[str, Any]:
    body = json.dumps({"id": row["native_id"], "title": row["title"]}).encode()
    sha256 = hashlib.sha256(body).hexdigest()
    return {
        "raw_id": sha256[:24], "source": row["source"], "feed": row["feed"],
        "page_kind": "detail", "native_id": row["native_id"], "url": row["url"],
        "fetched_at": row["fetched_at"], "status": 200, "content_type": "application/json",
        "body": body, "sha256": sha256, "run_id": run_id,
    }  # fmt: skip


def _run_row(batch: Batch, run_id: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    moments = [row["fetched_at"] for row in rows] or [batch.month]
    return {
        "run_id": run_id, "flow": "ingest", "source": batch.source,
        "started_at": min(moments), "finished_at": max(moments), "status": "ok",
        "items_seen": len(rows), "items_new": len(rows),
    }  # fmt: skip


def write(root: Path, articles: int) -> None:
    """Every batch through ``upsert_articles``; its raw pages and run row beside it."""
    for batch in batches(articles):
        for rows in (batch.first, batch.edits):
            run_id = uuid.uuid4().hex
            upsert_articles(root, batch.source, [ArticleVersion(dict(row)) for row in rows])
            write_rows(root, TABLES["raw_pages"], [_raw_page(row, run_id) for row in rows])
            write_rows(root, TABLES["runs"], [_run_row(batch, run_id, rows)])


def _vacuum_time() -> datetime:
    return datetime.now(UTC) + DEFAULT_RETENTION + timedelta(seconds=1)


def compact_all(root: Path) -> None:
    """Compact every partition, then remove the replaced files (as a later run would)."""
    compact(root, min_files=1)
    compact(root, min_files=1, now=_vacuum_time())


def build(root: Path, articles: int, compacted: bool = True) -> float:
    """Write ``articles`` into a fresh warehouse at ``root`` and index them; seconds taken."""
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    began = time.perf_counter()
    write(root, articles)
    if compacted:
        compact_all(root)
    search.rebuild(root)  # a warehouse has its index before compaction as after
    return time.perf_counter() - began


def _probe(root: Path) -> str:
    """An article with two versions: the point queries look it up."""
    row = (
        connect(root)
        .execute("select article_id from article_versions group by 1 having count(*) > 1 limit 1")
        .fetchone()
    )
    assert row, "the generator always edits some articles"
    return row[0]


def queries(root: Path) -> dict[str, str]:
    """The issue's seven queries, the versions of one article, as SQL on the views."""
    article_id = _probe(root)
    this_year = END.replace(month=1, day=1)
    ninety_days = END - timedelta(days=90)
    return {
        "count(*) from articles": "select count(*) from articles",
        "latest 20 of one source": """select article_id, title, published_at from articles
            where source = 'binance' order by published_at desc limit 20""",
        "count by category and month, this year": f"""select category,
            date_trunc('month', published_at) as month, count(*) from articles
            where published_at >= '{this_year.isoformat()}' group by all""",
        "one coin, last 90 days": f"""select article_id, title, published_at from articles
            where list_contains(coins, 'SOL') and published_at >= '{ninety_days.isoformat()}'
            order by published_at desc""",
        "one article by article_id": f"select * from articles where article_id = '{article_id}'",
        "body_text ILIKE '%upgrade maintenance%'": """select count(*) from articles
            where body_text ilike '%upgrade maintenance%'""",
        "count(*) without the dedupe view": "select count(*) from _articles_rows",
        "versions of one article": f"""select content_hash, fetched_at, title
            from article_versions where article_id = '{article_id}' order by fetched_at""",
    }


def median_ms(action: Callable[[], object]) -> float:
    samples = []
    for _ in range(REPEATS):
        began = time.perf_counter()
        action()
        samples.append(time.perf_counter() - began)
    return statistics.median(samples) * 1000


def time_queries(root: Path) -> dict[str, float | None]:
    connection = connect(root)
    timings: dict[str, float | None] = {
        name: median_ms(lambda sql=sql: connection.execute(sql).fetchall())
        for name, sql in queries(root).items()
    }
    timings["search 'upgrade maintenance'"] = median_ms(
        lambda: search.search(root, "upgrade maintenance", limit=20)
    )
    return timings


def _cli_ms(*arguments: str) -> float:
    """Median wall time of ``exnews …`` in a fresh process, as a user runs it."""
    command = [str(Path(sys.executable).with_name("exnews")), *arguments]
    return median_ms(lambda: subprocess.run(command, check=True, capture_output=True))


def cli_search_ms(root: Path) -> tuple[float, float]:
    """``exnews search`` and ``exnews sql "select 1"``: the difference is the search, less
    the start-up both pay (``sql`` also opens the views, which ``search`` never reads)."""
    return (
        _cli_ms("search", "upgrade maintenance", "--warehouse", str(root)),
        _cli_ms("sql", "select 1", "--warehouse", str(root)),
    )


def footprint(root: Path) -> tuple[int, int]:
    """Files and bytes the ``articles`` views read."""
    files = live_files(root, TABLES["articles"]).every
    return len(files), sum(path.stat().st_size for path in files)


def noop_ingest(root: Path) -> None:
    """What an ingest that finds nothing new reads, per source, after fetching.

    The crawl's pages are all known payloads, so it stores none and processes none;
    fetching itself (HTTP, Scrapy, Prefect) costs the same at any size and is left out.
    """
    for source in SOURCES:
        newest = resume_point(root, source)
        assert newest is not None
        started_at = datetime.now(UTC)
        processed_payloads(root, source, now=END)
        pages = iter_raw_pages(root, source, run_id=uuid.uuid4().hex, fetched_since=started_at)
        process_pages(root, source, pages, window=Window(newest - LOOKBACK), run_id="noop")
        newest_published_at(root, source)  # the run's staleness check


@dataclass
class Measured:
    articles: int
    build_seconds: float
    compact_seconds: float
    before: dict[str, float | None]
    after: dict[str, float | None]
    files: tuple[tuple[int, int], tuple[int, int]]
    noop_ms: float
    cli_ms: tuple[float, float] | None = None  # search, select 1: the largest size of a run


def measure(articles: int, scratch: Path, cli: bool = False) -> Measured:
    """Build, time, compact and index, time again; ``cli``: time ``exnews search`` too."""
    root = scratch / f"exnews-bench-{articles}"
    build_seconds = build(root, articles, compacted=False)
    files_before, before = footprint(root), time_queries(root)
    began = time.perf_counter()
    compact_all(root)
    search.update(root)  # as after every compaction: what it only rewrote is not re-indexed
    compact_seconds = time.perf_counter() - began
    files_after, after = footprint(root), time_queries(root)
    noop_ms = median_ms(lambda: noop_ingest(root))
    cli_ms = cli_search_ms(root) if cli else None
    shutil.rmtree(root)
    result = Measured(
        articles, build_seconds, compact_seconds, before, after, (files_before, files_after),
        noop_ms, cli_ms,
    )  # fmt: skip
    print(report([result]), flush=True)
    return result


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f}" if value >= 10 else f"{value:.1f}"


def report(results: list[Measured]) -> str:
    """The markdown tables: queries before and after compaction, files, no-op ingest."""
    sizes = " | ".join(f"{r.articles:,} before | {r.articles:,} after" for r in results)
    lines = [
        f"| query (median of {REPEATS}, ms) | {sizes} |",
        "|---|" + "---:|" * (2 * len(results)),
    ]
    for name in results[0].after:
        cells = " | ".join(f"{_ms(r.before[name])} | {_ms(r.after[name])}" for r in results)
        lines.append(f"| {name} | {cells} |")
    files = " | ".join(
        f"{b[0]:,} files, {b[1] / 1e6:,.1f} MB | {a[0]:,} files, {a[1] / 1e6:,.1f} MB"
        for r in results
        for b, a in [r.files]
    )
    lines.append(f"| `articles` files read | {files} |")
    lines += [
        "",
        "| articles | build s | compact + index s | no-op ingest ms |",
        "|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r.articles:,} | {r.build_seconds:,.0f} | {r.compact_seconds:,.1f} | {r.noop_ms:,.0f} |"
        for r in results
    ]
    lines += [
        f"\n`exnews search 'upgrade maintenance'` at {r.articles:,} articles, wall time (median"
        f' of {REPEATS}): {_ms(searched)} ms; `exnews sql "select 1"`: {_ms(selected)} ms;'
        f" difference: {_ms(searched - selected)} ms"
        for r in results
        if r.cli_ms is not None
        for searched, selected in [r.cli_ms]
    ]
    return "\n".join(lines)


def write_docs(text: str, heading: str = HEADING) -> None:
    """Replace a benchmark's section of ``docs/benchmarks.md``, keeping other sections."""
    existing = DOCS.read_text(encoding="utf-8") if DOCS.exists() else "# Benchmarks\n"
    pattern = re.compile(rf"{re.escape(heading)}\n.*?(?=\n## |\Z)", re.DOTALL)
    section = f"{heading}\n\n{text}\n"
    updated = (
        pattern.sub(lambda _: section, existing)
        if pattern.search(existing)
        else (existing.rstrip("\n") + "\n\n" + section)
    )
    DOCS.write_text(updated, encoding="utf-8")


def noop_in_turns(roots: list[Path]) -> dict[int, float]:
    """Median no-op ingest per warehouse, measured in turns (10k, 1M, 10k, 1M, …) so that
    load from other work on the machine weighs on every size alike."""
    samples: dict[Path, list[float]] = {root: [] for root in roots}
    for _ in range(REPEATS):
        for root in roots:
            began = time.perf_counter()
            noop_ingest(root)
            samples[root].append((time.perf_counter() - began) * 1000)
    counted = "select count(*) from articles"
    return {
        connect(root).execute(counted).fetchall()[0][0]: statistics.median(samples[root])
        for root in roots
    }


def section(scratch: Path) -> str:
    """The docs section from every size kept under ``scratch``."""
    rows = json.loads((scratch / RESULTS).read_text()) if (scratch / RESULTS).exists() else {}
    results = sorted(
        (Measured(**{**row, "files": tuple(map(tuple, row["files"]))}) for row in rows.values()),
        key=lambda result: result.articles,
    )
    text = (
        f"`python -m bench.warehouse run --sizes …` ({datetime.now(UTC):%Y-%m-%d}, 2 cores"
        f" shared with other work; each size measured by its own run)\n\n{report(results)}"
    )
    turns_path = scratch / NOOP_TURNS
    if turns_path.exists():
        turns = {int(size): ms for size, ms in json.loads(turns_path.read_text()).items()}
        smallest, largest = min(turns), max(turns)
        text += (
            "\n\nThe no-op column above comes from each size's own run, under whatever load"
            " the machine had then; to compare sizes, the no-op ingest is measured in turns on"
            " kept warehouses"
            " (`python -m bench.warehouse noop DIR…`), median of five:\n\n"
            "| articles | no-op ingest ms |\n|---:|---:|\n"
            + "".join(f"| {size:,} | {ms:,.0f} |\n" for size, ms in sorted(turns.items()))
            + f"\nRatio {largest:,} / {smallest:,}: {turns[largest] / turns[smallest]:.2f}"
        )
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("build", help="generate, write, compact and index N articles")
    make.add_argument("--articles", type=int, required=True)
    make.add_argument("--out", type=Path, required=True)
    run = commands.add_parser("run", help="measure each size and update docs/benchmarks.md")
    run.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    run.add_argument(
        "--scratch", type=Path, default=Path("/tmp"), help="warehouses and the kept results"
    )
    turns = commands.add_parser("noop", help="no-op ingest of built warehouses, in turns")
    turns.add_argument("roots", type=Path, nargs="+")
    turns.add_argument("--scratch", type=Path, default=Path("/tmp"))
    arguments = parser.parse_args()
    if arguments.command == "build":
        seconds = build(arguments.out, arguments.articles)
        files, size = footprint(arguments.out)
        print(f"{arguments.articles:,} articles in {seconds:,.0f} s: {files} files, {size:,} bytes")
        return
    if arguments.command == "noop":
        measured = noop_in_turns(arguments.roots)
        (arguments.scratch / NOOP_TURNS).write_text(json.dumps(measured))
    else:
        store = arguments.scratch / RESULTS
        for articles in arguments.sizes:  # each size lands in the table as soon as it is done
            largest = articles == max(arguments.sizes)
            row = asdict(measure(articles, arguments.scratch, cli=largest))
            kept = json.loads(store.read_text()) if store.exists() else {}
            store.write_text(json.dumps({**kept, str(articles): row}, default=list))
    text = section(arguments.scratch)
    write_docs(text)
    print(text)


if __name__ == "__main__":
    main()
