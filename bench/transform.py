"""``clean_document`` beside ``trafilatura.extract`` alone, per core, on news pages (issue 11).

    .venv/bin/python -m bench.transform [--label after] [--pages 180] [--sections div]
                                        [--corpus DIR] [--no-docs]

The corpus is :mod:`bench.news_pages` (``--pages`` real-world-like news pages, seeded; with
``--sections div`` their menus, sidebars and footers are plain ``div``s), or every
``*.html`` of ``--corpus DIR`` (any folder of saved pages). Side by side, on one core:

* ``trafilatura.extract(html, url=url)``, trafilatura's defaults: the peer;
* ``trafilatura.extract(..., fast=True)``, for reference;
* ``transform.extract.clean.clean_document`` with everything it does: body, Markdown, metadata,
  dates, language, category, topics, mentions, coins, pairs, fingerprint.

One process runs all three on each page in turn (imports and a warm-up page not timed), so
all see the same load of a shared machine: pages per second over ``--rounds`` passes, and
body F1 against the pages' own text where the corpus has it. Peak RSS (``getrusage``)
comes from one process per contender, one pass each. Then ``exnews clean DIR/*.html
--format jsonl`` is timed as a whole process beside a process that imports trafilatura and
extracts every page (fastest of ``--turns``, peak RSS from ``wait4``). The rows replace
those of ``--label`` in the "Transform throughput (issue 11)" section of
``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.huge_page import Run, _measure

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "benchmarks.md"
HEADING = "## Transform throughput (issue 11)"
CONTENDERS = ("extract", "extract_fast", "clean")
COLUMNS = [
    "run", "pages", "trafilatura.extract p/s", "peak MB", "extract fast p/s",
    "clean_document p/s", "peak MB", "ratio (clean / extract)", "body F1 extract / clean",
    "batch: exnews clean s", "peak MB", "batch: trafilatura process s", "batch ratio",
]  # fmt: skip
# The peer as a whole process: what `exnews clean --format jsonl` is compared with.
PEER_PROCESS = """
import json, sys, trafilatura
for path in sys.argv[1:]:
    print(json.dumps({"text": trafilatura.extract(open(path, "rb").read())}))
"""


def write_corpus(folder: Path, count: int, sections: str = "html5") -> None:
    """The generated pages as files, with their URLs and texts in ``corpus.json``."""
    from bench.news_pages import news_pages

    index = {}
    for page in news_pages(count, sections=sections):
        (folder / page.name).write_bytes(page.html)
        index[page.name] = {"url": page.url, "body": page.body_text}
    (folder / "corpus.json").write_text(json.dumps(index, ensure_ascii=False), encoding="utf-8")


def load_corpus(folder: Path) -> list[tuple[bytes, str | None, str | None]]:
    """(html, url, expected body) of every page; URL and body are None where unknown."""
    index_path = folder / "corpus.json"
    index = json.loads(index_path.read_text("utf-8")) if index_path.exists() else {}
    return [
        (
            path.read_bytes(),
            index.get(path.name, {}).get("url"),
            index.get(path.name, {}).get("body"),
        )
        for path in sorted(folder.glob("*.html"))
    ]


def _work(contender: str) -> Callable[[bytes, str | None], str | None]:
    """The call one worker times: html and URL in, body text out."""
    import trafilatura

    if contender == "extract":
        return lambda html, url: trafilatura.extract(html, url=url)
    if contender == "extract_fast":
        return lambda html, url: trafilatura.extract(html, url=url, fast=True)
    from transform.extract.clean import clean_document
    from transform.model import PayloadError

    fetched_at = datetime.now(UTC)

    def clean(html: bytes, url: str | None) -> str | None:
        try:
            return clean_document(html, url=url, fetched_at=fetched_at).body_text
        except PayloadError:
            return None  # a refusal is work done too; F1 counts it as a miss

    return clean


def interleaved(folder: Path, rounds: int) -> dict[str, dict[str, Any]]:
    """Every contender on each page in turn, in this one process: whatever load the shared
    machine has at a moment, all of them see it. Pages per second over all rounds."""
    from tests.quality.metrics import benchmark_scores, shingle_counts

    pages = load_corpus(folder)
    works = {name: _work(name) for name in CONTENDERS}
    for work in works.values():
        work(*pages[0][:2])  # warm-up: lazy imports and caches are not what is measured
    seconds = dict.fromkeys(CONTENDERS, 0.0)
    outputs: dict[str, list[str | None]] = {name: [] for name in CONTENDERS}
    for _ in range(rounds):
        for name in CONTENDERS:
            outputs[name] = []
        for html, url, _body in pages:
            for name, work in works.items():
                began = time.perf_counter()
                outputs[name].append(work(html, url))
                seconds[name] += time.perf_counter() - began
    results = {}
    for name in CONTENDERS:
        judged = [
            shingle_counts(body, out)
            for (_, _, body), out in zip(pages, outputs[name], strict=True)
            if body
        ]
        results[name] = {
            "pages_per_second": rounds * len(pages) / seconds[name],
            "f1": benchmark_scores(judged)["f1"] if judged else None,
        }
    return results


def peak_memory(contender: str, folder: Path) -> float:
    """Peak RSS in MB of a process that runs only ``contender`` over every page once."""
    pages = load_corpus(folder)
    work = _work(contender)
    for html, url, _ in pages:
        work(html, url)
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _run_worker(*arguments: str) -> Any:
    command = [sys.executable, "-m", "bench.transform", *arguments]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    if done.returncode:
        raise SystemExit(f"worker {arguments} failed: {done.stderr.strip()[-800:]}")
    return json.loads(done.stdout.splitlines()[-1])


def side_by_side(folder: Path, rounds: int) -> dict[str, dict[str, Any]]:
    """Rates and F1 from one interleaved process, peak RSS from one process per contender."""
    results = _run_worker("--interleaved", "--corpus", str(folder), "--rounds", str(rounds))
    for name in CONTENDERS:
        results[name]["peak_mb"] = _run_worker("--memory", name, "--corpus", str(folder))
    print(f"  {results}", flush=True)
    return results


def batch(folder: Path, turns: int) -> tuple[Run | None, Run]:
    """``exnews clean *.html --format jsonl`` and the trafilatura process, fastest of turns;
    None for the former where this checkout has no batch mode."""
    pages = [str(path) for path in sorted(folder.glob("*.html"))]
    cleans, peers = [], []
    for _ in range(turns):
        cleans.append(_measure([sys.executable, "-m", "flows", "clean", *pages, "-f", "jsonl"]))
        peers.append(_measure([sys.executable, "-c", PEER_PROCESS, *pages]))
    fastest = min(peers, key=lambda run: run.seconds)
    if any(run.returncode == 2 for run in cleans):  # bad usage: no batch mode here
        return None, fastest
    return min(cleans, key=lambda run: run.seconds), fastest


def cells(
    label: str, pages: int, rates: dict[str, dict[str, Any]], batch_runs: tuple[Run | None, Run]
) -> list[str]:
    extract, fast, clean = (rates[name] for name in CONTENDERS)
    f1 = (
        f"{extract['f1']:.3f} / {clean['f1']:.3f}"
        if extract["f1"] is not None and clean["f1"] is not None
        else "n/a"
    )
    clean_run, peer_run = batch_runs
    if clean_run is None:
        batch_cells = ["no batch mode", "", f"{peer_run.seconds:.1f}", ""]
    else:
        batch_cells = [
            f"{clean_run.seconds:.1f}", f"{clean_run.peak_mb:.0f}", f"{peer_run.seconds:.1f}",
            f"{peer_run.seconds / clean_run.seconds:.2f}×",
        ]  # fmt: skip
    return [
        label, str(pages),
        f"{extract['pages_per_second']:.1f}", f"{extract['peak_mb']:.0f}",
        f"{fast['pages_per_second']:.1f}",
        f"{clean['pages_per_second']:.1f}", f"{clean['peak_mb']:.0f}",
        f"{clean['pages_per_second'] / extract['pages_per_second']:.2f}×", f1,
        *batch_cells,
    ]  # fmt: skip


INTRO = """`python -m bench.transform --label LABEL`: on 180 generated news pages
(`bench/news_pages.py`: five site layouts with menus, sidebars, comments, scripts and
metadata around the article; 134 English and 46 Chinese; 37–177 KB, median 115 KB and
800 elements), one core, each page through three contenders in turn in one process so
that all see the same load: `trafilatura.extract` with its defaults (the peer), the same
in fast mode, and `clean_document` doing everything `exnews clean` does (body, Markdown,
metadata, dates, language, category, topics, mentions, coins, pairs, fingerprint); pages
per second over 3 passes. Peak MB is the peak RSS of a process running one contender over
all pages. *Body F1* compares each output with the text the generator put in the article
(shingle F1 as in `tests/quality`; a sanity check, not a target). *Batch* times `exnews
clean *.html --format jsonl` as a whole process beside a process that imports trafilatura
and extracts every page; *batch ratio* is trafilatura's time over `exnews clean`'s. The
machine is shared by other work: compare rows of one run."""


def update_docs(rows: list[list[str]], docs: Path = DOCS) -> None:
    """Replace this run's labels in the section; other labels and notes under it stay."""
    text = docs.read_text(encoding="utf-8")
    header = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    labels = {row[0] for row in rows}
    new_rows = ["| " + " | ".join(row) + " |" for row in rows]
    if HEADING not in text:
        section = "\n".join([HEADING, "", INTRO, "", *header, *new_rows, ""])
        docs.write_text(text.rstrip("\n") + "\n\n" + section, encoding="utf-8")
        return
    before, _, rest = text.partition(HEADING)
    section, marker, after = rest.partition("\n## ")
    lines = section.split("\n")
    kept = [line for line in lines if not any(line.startswith(f"| {label} |") for label in labels)]
    last_row = max(index for index, line in enumerate(kept) if line.startswith("|"))
    kept[last_row + 1 : last_row + 1] = new_rows
    docs.write_text(before + HEADING + "\n".join(kept) + marker + after, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--label", default="now", help="row label in docs/benchmarks.md")
    parser.add_argument("--pages", type=int, default=180, help="generated pages")
    parser.add_argument(
        "--sections",
        choices=("html5", "div"),
        default="html5",
        help="generated pages' menus, sidebars and footers: <nav>/<aside>/<footer> or plain divs",
    )
    parser.add_argument("--corpus", type=Path, help="a folder of *.html pages instead")
    parser.add_argument("--rounds", type=int, default=3, help="passes over the pages")
    parser.add_argument("--turns", type=int, default=3, help="batch runs of each; best counts")
    parser.add_argument("--no-docs", action="store_true", help="print only")
    parser.add_argument("--interleaved", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--memory", choices=CONTENDERS, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.interleaved:
        print(json.dumps(interleaved(arguments.corpus, arguments.rounds)))
        return
    if arguments.memory:
        print(json.dumps(peak_memory(arguments.memory, arguments.corpus)))
        return
    with tempfile.TemporaryDirectory(prefix="exnews-bench-transform-") as scratch:
        folder = arguments.corpus
        if folder is None:
            folder = Path(scratch)
            write_corpus(folder, arguments.pages, arguments.sections)
        pages = len(list(folder.glob("*.html")))
        print(f"{pages} pages in {folder}; in-process rates ...", flush=True)
        rates = side_by_side(folder, arguments.rounds)
        print("batch processes ...", flush=True)
        row = cells(arguments.label, pages, rates, batch(folder, arguments.turns))
    print(" | ".join(f"{column}: {value}" for column, value in zip(COLUMNS, row, strict=True)))
    if not arguments.no_docs:
        update_docs([row])
        print(f"updated {DOCS}")


if __name__ == "__main__":
    main()
