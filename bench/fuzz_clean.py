"""Coverage-guided fuzzing of ``clean_document`` with atheris (libFuzzer), issue 8.

    .venv/bin/pip install atheris
    .venv/bin/python bench/fuzz_clean.py -max_total_time=300 [CORPUS_DIR ...]

The first byte of an input picks the source (none, or one of ``known_sources()``), the
rest is the document. Anything but ``PayloadError`` (and its subclasses) is a crash; an
input that takes longer than ``-timeout`` seconds (10 by default here) or grows the process
past ``-rss_limit_mb`` (1024) is one too. libFuzzer writes each crashing input to
``crash-*``/``timeout-*``/``oom-*`` files in the working folder; replay one with
``python bench/fuzz_clean.py FILE``. Without a corpus folder, one is made in a temporary
folder from the fixtures and quality documents, so mutations start from real payloads.
"""

from __future__ import annotations

import contextlib
import shutil
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["transform"]):
    from transform.extract.clean import clean_document, known_sources
    from transform.model import PayloadError

ROOT = Path(__file__).resolve().parents[1]
SEEDS = [*ROOT.glob("tests/fixtures/*/*.*"), *ROOT.glob("tests/quality/documents/*")]
SOURCES: list[str | None] = [None, *known_sources()]
FETCHED_AT = datetime(2026, 11, 28, 12, tzinfo=UTC)
DEFAULTS = ["-timeout=10", "-rss_limit_mb=1024", "-max_len=200000"]


def test_one_input(data: bytes) -> None:
    """One document: typed errors are answers, anything else is a finding."""
    if not data:
        return
    source = SOURCES[data[0] % len(SOURCES)]
    with contextlib.suppress(PayloadError):
        clean_document(data[1:], source=source, fetched_at=FETCHED_AT)


def _corpus() -> str:
    """A temporary corpus seeded with every fixture, each under every source byte."""
    folder = Path(tempfile.mkdtemp(prefix="exnews-fuzz-corpus-"))
    for number, seed in enumerate(path for path in SEEDS if path.name != "expected.json"):
        source = next((i for i, s in enumerate(SOURCES) if s and s in seed.parts), 0)
        (folder / f"{number:04d}").write_bytes(bytes([source]) + seed.read_bytes())
    return str(folder)


def main() -> None:
    arguments = sys.argv[1:]
    options = [a for a in arguments if a.startswith("-")]
    paths = [a for a in arguments if not a.startswith("-")]
    corpus = None if paths else _corpus()
    given = {option.split("=")[0] for option in options}
    defaults = [d for d in DEFAULTS if d.split("=")[0] not in given]
    try:
        atheris.Setup([sys.argv[0], *defaults, *options, *(paths or [corpus])], test_one_input)
        atheris.Fuzz()
    finally:
        if corpus:
            shutil.rmtree(corpus, ignore_errors=True)


if __name__ == "__main__":
    main()
