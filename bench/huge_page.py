"""``exnews clean`` beside ``trafilatura.extract`` alone on huge article pages (issue 8).

    .venv/bin/python -m bench.huge_page [--label after] [--sizes 9.4,16] [--no-docs]

Generates a 9.4 MB article page of 300,000 words (tickers, pairs such as BTC/USDT and
ETH_USDT, amounts such as 1,250,000 USDT and $3.5M, percentages, places, dates) and one
just under the spiders' 16 MiB download cap, then runs, on each page and side by side:

* ``exnews clean PAGE --url URL`` as a process (what a user runs), and
* a process that imports trafilatura and calls ``trafilatura.extract`` once (the peer),

and prints wall time, the time the peer spent in ``extract`` itself, peak RSS (from
``wait4``, so each process is measured alone) and the ratios. The figures replace the rows
of ``--label`` in the "Huge pages (issue 8)" section of ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "benchmarks.md"
HEADING = "## Huge pages (issue 8)"
URL = "https://www.gate.com/news/detail/market-wrap-everything-14299999"
WORDS_PER_MB = 300_000 / 9.4  # the page of the issue: 9.4 MB, 300,000 words
MiB = 1024 * 1024
SPIDER_CAP = 16 * MiB  # spiders.settings.DOWNLOAD_MAXSIZE
# The peer: trafilatura alone, with the options transform.extract.html passes it.
PEER = """
import sys, time, trafilatura
html = open(sys.argv[1], "rb").read()
began = time.perf_counter()
text = trafilatura.extract(html, output_format="txt", url=sys.argv[2], include_tables=True,
                           include_comments=False, favor_precision=True)
print(time.perf_counter() - began, len(text or ""))
"""

_COINS = (
    ("Bitcoin", "BTC"), ("Ethereum", "ETH"), ("Solana", "SOL"), ("Sui", "SUI"),
    ("Toncoin", "TON"), ("Pepe", "PEPE"), ("Aptos", "APT"), ("Arbitrum", "ARB"),
    ("Celestia", "TIA"), ("Kite", "KITE"), ("Lumora Network", "LUMA"), ("Ondo", "ONDO"),
)  # fmt: skip
_QUOTES = ("USDT", "USDC", "BTC", "FDUSD")
_PLACES = ("Singapore", "Hong Kong", "the U.S.", "Dubai", "South Korea", "Cambodia", "Japan")
_ORGS = ("the SEC", "Binance", "Gate", "OKX", "BlackRock", "the U.S. Department of the Treasury")
_PROSE = (
    "market participants said liquidity remained thin across the order books while funding "
    "rates turned positive again as traders rotated into larger caps and analysts expected "
    "volatility to persist into the weekend with spot demand outpacing derivatives activity"
)
_WORDS = _PROSE.split()


def _sentence(rng: random.Random) -> str:
    """One sentence of market news, each kind of mention in turn."""
    name, ticker = rng.choice(_COINS)
    base, quote = rng.choice(_COINS)[1], rng.choice(_QUOTES)
    pct = f"{rng.randint(0, 99)}.{rng.randint(0, 9)}"
    amount = f"{rng.randint(1, 999)},{rng.randint(0, 999):03d},{rng.randint(0, 999):03d}"
    filler = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(4, 12)))
    day = f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} {rng.randint(0, 23):02d}:00"
    return rng.choice(
        (
            f"{name} ({ticker}) rose {pct}% to ${rng.randint(1, 99)}.{rng.randint(0, 9)}M "
            f"in daily volume on the {base}/{quote} pair as {filler}.",
            f"Volume on {base}_{quote} reached {amount} USDT, down {pct} percent, while {filler}.",
            f"{rng.choice(_ORGS)} said traders in {rng.choice(_PLACES)} moved {amount} "
            f"{ticker} and {filler}.",
            f"Trading of {base}{quote} perpetuals opens at {day} (UTC) with up to "
            f"{rng.randint(5, 75)}x leverage and {filler}.",
            f"The fund raised ${rng.randint(1, 9)}.{rng.randint(0, 9)}B and {filler}, "
            f"a {pct}% share of {rng.choice(_PLACES)} inflows.",
            f"Analysts noted that {filler} and {filler}.",
        )
    )


def make_page(size_bytes: int, words: int, seed: int = 8) -> bytes:
    """A Next.js-style article page of about ``size_bytes`` with ``words`` words of body.

    The body is plain ``<p>`` paragraphs; the rest of the weight is what such sites embed:
    the article again, as HTML inside ``__NEXT_DATA__``, and page state that fills the page
    up to its size (trafilatura skips scripts, transform must not choke on them either).
    """
    rng = random.Random(seed)
    paragraphs: list[str] = []
    count = 0
    while count < words:
        paragraph = " ".join(_sentence(rng) for _ in range(rng.randint(3, 6)))
        count += len(paragraph.split())
        paragraphs.append(f"<p>{paragraph}</p>")
    body = "".join(paragraphs)
    head = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<title>Market wrap: everything that moved</title>"
        "<meta property='og:type' content='article'>"
        "<meta property='og:title' content='Market wrap: everything that moved'>"
        f"<link rel='canonical' href='{URL}'>"
        "<meta property='article:published_time' content='2026-11-28T08:00:00Z'>"
        "</head><body><nav><a href='/'>Home</a> <a href='/news'>News</a></nav>"
        "<main><article><h1>Market wrap: everything that moved</h1>"
    )
    state = json.dumps({"props": {"pageProps": {"article": {"content": body}}}})
    script = f'</article></main><script id="__NEXT_DATA__" type="application/json">{state}'
    tail = "</script><footer>All rights reserved</footer></body></html>"
    padding = max(0, size_bytes - len((head + body + script + tail).encode()))
    filler = "".join(rng.choice("0123456789abcdef") for _ in range(padding))
    script = script[: -len("}}}")] + f', "cache": "{filler}"}}}}}}'
    return (head + body + script + tail).encode()


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_mb: float
    stdout: str
    returncode: int


def _measure(command: list[str]) -> Run:
    """Wall time and peak RSS of one child process (``wait4``: that child alone)."""
    began = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.PIPE, cwd=ROOT)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - began
        process.returncode = os.waitstatus_to_exitcode(status)
        stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
        out.seek(0)
        head = out.read(2000).decode(errors="replace")
    if process.returncode:
        print(f"  exit {process.returncode}: {stderr.strip()[-500:]}", file=sys.stderr)
    return Run(seconds, usage.ru_maxrss / 1024, head, process.returncode)


@dataclass(frozen=True)
class Row:
    label: str
    page: str
    clean: Run
    peer: Run
    extract_seconds: float

    def cells(self) -> list[str]:
        ratio = self.clean.seconds / self.peer.seconds
        extract_ratio = self.clean.seconds / self.extract_seconds
        outcome = "article" if self.clean.returncode == 0 else f"exit {self.clean.returncode}"
        return [
            self.label, self.page,
            f"{self.clean.seconds:.1f}", f"{self.clean.peak_mb:.0f}", outcome,
            f"{self.peer.seconds:.1f}", f"{self.extract_seconds:.2f}", f"{self.peer.peak_mb:.0f}",
            f"{ratio:.1f}×", f"{extract_ratio:.1f}×",
        ]  # fmt: skip


COLUMNS = [
    "run", "page", "clean s", "clean peak MB", "clean result", "trafilatura process s",
    "extract() s", "trafilatura peak MB", "time ratio (process)", "time ratio (vs extract())",
]  # fmt: skip


def _typical(runs: list[Run]) -> Run:
    """The median time of the runs, with the highest peak any of them had."""
    middle = sorted(runs, key=lambda run: run.seconds)[len(runs) // 2]
    return Run(middle.seconds, max(run.peak_mb for run in runs), middle.stdout, middle.returncode)


def bench(path: Path, label: str, name: str, repeat: int) -> Row:
    """Clean and peer in turn, ``repeat`` times each, so both see the same machine load."""
    cleans, peers = [], []
    for _ in range(repeat):
        cleans.append(_measure([sys.executable, "-m", "flows", "clean", str(path), "--url", URL]))
        peers.append(_measure([sys.executable, "-c", PEER, str(path), URL]))
    extracts = sorted(float(peer.stdout.split()[0]) for peer in peers if peer.returncode == 0)
    extract_seconds = extracts[len(extracts) // 2] if extracts else float("nan")
    return Row(label, name, _typical(cleans), _typical(peers), extract_seconds)


def _table(rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def update_docs(rows: list[Row], docs: Path = DOCS) -> None:
    """Replace this label's rows in the section; other labels, the notes written under the
    table and other engineers' sections stay."""
    text = docs.read_text(encoding="utf-8") if docs.exists() else "# Benchmarks\n"
    before, found, rest = text.partition(HEADING)
    section, after = (rest, "") if "\n## " not in rest else rest.split("\n## ", 1)
    after = "\n## " + after if after else ""
    labels = {row.label for row in rows}
    lines = section.splitlines()
    table_lines = [number for number, line in enumerate(lines) if line.startswith("|")]
    notes = "\n".join(lines[table_lines[-1] + 1 :]).strip() if table_lines else ""
    kept = [
        [cell.strip() for cell in line.strip("|").split("|")]
        for line in lines
        if line.startswith("| ") and not line.startswith("| run ")
    ]
    kept = [cells for cells in kept if cells[0] not in labels]
    table = _table(kept + [row.cells() for row in rows])
    body = "\n".join(
        [
            HEADING,
            "",
            "`python -m bench.huge_page --label LABEL`: `exnews clean` (a process) beside a",
            "process running `trafilatura.extract` once on the same page, in the same run.",
            "Peak RSS per process from `wait4`; *extract() s* is the time trafilatura spends",
            "in `extract` itself, without interpreter start and imports. Times are medians of",
            "`--repeat` runs (3), peaks the highest. The 9.4 MB page has 300,000 words; the",
            "16 MB one is just under the spiders' 16 MiB download cap. The machine is shared:",
            "compare rows of one run, not runs.",
            "",
            *table,
            "",
            *([notes, ""] if notes else []),
        ]
    )
    prefix = before if found else before.rstrip("\n") + "\n\n"
    docs.write_text(prefix + body + after, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--label", default="now", help="row label in docs/benchmarks.md")
    parser.add_argument("--sizes", default="9.4,16", help="page sizes in MB (16 = the cap)")
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "exnews-pages")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; medians shown")
    parser.add_argument("--no-docs", action="store_true", help="print only")
    arguments = parser.parse_args()
    arguments.out.mkdir(parents=True, exist_ok=True)
    rows = []
    for size in (float(value) for value in arguments.sizes.split(",")):
        target = SPIDER_CAP - 4096 if size >= 16 else int(size * 1_000_000)
        words = round(WORDS_PER_MB * target / 1_000_000)
        path = arguments.out / f"page-{size:g}mb.html"
        if not path.exists():
            path.write_bytes(make_page(target, words))
        name = f"{path.stat().st_size / 1e6:.1f} MB, {words:,} words"
        print(f"{name}: running ...", flush=True)
        row = bench(path, arguments.label, name, arguments.repeat)
        print("  " + " | ".join(f"{c}: {v}" for c, v in zip(COLUMNS, row.cells(), strict=True)))
        rows.append(row)
    if not arguments.no_docs:
        update_docs(rows)
        print(f"updated {DOCS}")


if __name__ == "__main__":
    main()
