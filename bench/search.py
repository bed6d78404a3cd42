"""Search latency over a synthetic warehouse: ``exnews search`` beside ``exnews sql "select 1"``.

    .venv/bin/python bench/search.py [--articles 100000] [--root /tmp/bench-search] [--keep]

Lands ``--articles`` synthetic articles (English and Chinese, months of several sources)
through the writer (``--keep``: uses the warehouse already at ``--root``), builds the
index with ``search.rebuild`` (the call another warehouse builder should make), lands one
more run of ``--update-run`` articles (0: none, the warehouse stays as it was) and times the
incremental ``search.update``, then times both commands as a user runs them (a process
each, median of ``--repeats``) and prints the difference, the index size and build time.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from warehouse import search
from warehouse.schemas import TABLES
from warehouse.writer import write_rows

SOURCES = ("binance", "okx", "kucoin", "bybit", "gate_announcements", "gate_square")
CATEGORIES = ("listing", "delisting", "maintenance", "product", "promotion", "other")
COINS = ("SOL", "BTC", "ETH", "ARB", "TIA", "PLUME", "LUMA", "VLNT", "ZRO", "OP")
ENGLISH = (
    "will", "list", "trading", "deposit", "withdrawal", "network", "upgrade", "maintenance",
    "spot", "futures", "margin", "pairs", "delist", "users", "rewards", "campaign", "wallet",
    "support", "contract", "perpetual", "leverage", "fee", "notice", "removal", "launch",
    "earn", "convert", "buy", "crypto", "token", "airdrop", "snapshot", "holders",
)  # fmt: skip
CHINESE = (
    "上线", "下架", "充值", "提现", "维护", "暂停", "现货", "合约", "交易", "用户", "活动",
    "奖励", "网络", "升级", "钱包", "公告",
)  # fmt: skip
QUERIES = ("solana listing", "上线", "wallet maintenance", '"perpetual contract"')
BATCH = 10_000


def _article(number: int, rng: random.Random, start: datetime) -> dict[str, object]:
    chinese = number % 5 == 0
    words, joiner = (CHINESE, "") if chinese else (ENGLISH, " ")
    coin = rng.choice(COINS)
    title = joiner.join(rng.choices(words, k=6)) + f" {coin}"
    body = joiner.join(rng.choices(words, k=150)) + f" {coin} {'Solana' if coin == 'SOL' else ''}"
    published = start + timedelta(minutes=number * 7)
    return {
        "article_id": f"a{number}", "source": SOURCES[number % len(SOURCES)],
        "language": "zh" if chinese else "en", "category": rng.choice(CATEGORIES),
        "title": title, "body_text": body, "content_hash": f"h{number}",
        "published_at": published, "fetched_at": published + timedelta(minutes=3),
    }  # fmt: skip


def land(root: Path, first: int, count: int) -> None:
    rng = random.Random(first)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    for offset in range(first, first + count, BATCH):
        rows = [_article(n, rng, start) for n in range(offset, min(offset + BATCH, first + count))]
        write_rows(root, TABLES["articles"], rows)


def wall(arguments: list[str], repeats: int) -> float:
    """Median wall time of ``exnews …`` as a fresh process, as a user pays it."""
    samples = []
    for _ in range(repeats):
        began = time.perf_counter()
        subprocess.run([sys.executable, "-m", "flows", *arguments], check=True, capture_output=True)
        samples.append(time.perf_counter() - began)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--root", type=Path, default=Path("/tmp/bench-search"))
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="reuse a warehouse already there")
    parser.add_argument(
        "--update-run", type=int, default=200, help="articles landed to time an update (0: none)"
    )
    arguments = parser.parse_args()
    root = arguments.root
    if not (arguments.keep and root.exists()):
        shutil.rmtree(root, ignore_errors=True)
        began = time.perf_counter()
        land(root, 0, arguments.articles)
        print(f"landed {arguments.articles} articles in {time.perf_counter() - began:.1f} s")
    began = time.perf_counter()
    indexed = search.rebuild(root)
    build = time.perf_counter() - began
    print(f"rebuild: {indexed} articles in {build:.1f} s ({indexed / build:.0f}/s)")
    print(f"index size: {search.size_bytes(root) / 2**20:.1f} MiB")
    if arguments.update_run:  # one more run's worth of new articles
        land(root, arguments.articles, arguments.update_run)
        began = time.perf_counter()
        updated = search.update(root)
        took = time.perf_counter() - began
        print(f"update after a run of {arguments.update_run}: {updated} indexed in {took:.2f} s")
    os.environ["EXNEWS_WAREHOUSE"] = str(root)
    baseline = wall(["sql", "select 1"], arguments.repeats)
    print(f"exnews sql 'select 1': {baseline:.3f} s")
    for query in QUERIES:
        took = wall(["search", query], arguments.repeats)
        print(f"exnews search {query!r}: {took:.3f} s, {took - baseline:+.3f} s over select 1")


if __name__ == "__main__":
    main()
