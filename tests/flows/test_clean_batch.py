"""``exnews clean FILE [FILE ...] --format jsonl`` as a user runs it on a folder of pages."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXNEWS = [sys.executable, "-m", "flows"]
QUALITY = ROOT / "tests" / "quality" / "documents"
PAGES = sorted(QUALITY.glob("*.html"))[:3]
FETCHED_AT = "2026-11-30T12:00:00Z"


def exnews_clean(
    *arguments: str, cwd: Path, stdin: bytes | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*EXNEWS, "clean", *arguments, "--fetched-at", FETCHED_AT],
        capture_output=True, cwd=cwd, input=stdin, timeout=300,
    )  # fmt: skip


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    """A folder of saved pages, the way a browser leaves them."""
    for index, page in enumerate(PAGES):
        shutil.copy(page, tmp_path / f"{index}-{page.name}")
    (tmp_path / "not-a-page").mkdir()
    return tmp_path


def single(page: Path, cwd: Path) -> dict:
    """What ``exnews clean PAGE`` (one file, JSON) prints for the page."""
    result = exnews_clean(str(page), cwd=cwd)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_one_line_per_file_in_the_order_given_with_errors_on_their_lines(saved: Path):
    pages = sorted(path.name for path in saved.glob("*.html"))
    order = [pages[2], "missing.html", pages[0], "not-a-page", pages[1]]
    result = exnews_clean(*order, "--format", "jsonl", cwd=saved)
    lines = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert len(lines) == len(order)
    assert lines[1] == {
        "error": "could not read missing.html: No such file or directory",
        "file": "missing.html",
    }
    assert lines[3] == {"error": "could not read not-a-page: Is a directory", "file": "not-a-page"}
    for position in (0, 2, 4):
        assert lines[position] == single(saved / order[position], saved)
    assert result.returncode == 1
    assert "2 of 5 files could not be cleaned" in result.stderr.decode()


def test_a_folder_that_cleans_whole_exits_0(saved: Path):
    pages = sorted(saved.glob("*.html"))
    result = exnews_clean(*map(str, pages), "--format", "jsonl", cwd=saved)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert [line["title"] for line in lines] == [single(page, saved)["title"] for page in pages]
    assert all(line["body_text"] for line in lines)


def test_a_page_that_cannot_be_cleaned_is_its_error_line(saved: Path):
    (saved / "empty.html").write_bytes(b"   ")
    result = exnews_clean("empty.html", "--format", "jsonl", cwd=saved)
    assert result.returncode == 1
    line = json.loads(result.stdout)
    assert line == {"error": "could not clean empty.html: the input is empty", "file": "empty.html"}


def test_stdin_is_one_of_the_files(saved: Path):
    page = PAGES[0]
    result = exnews_clean("-", "--format", "jsonl", cwd=saved, stdin=page.read_bytes())
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["title"] == single(page, saved)["title"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["a.html", "b.html"], "several files need --format jsonl"),
        (["a.html", "b.html", "-f", "jsonl", "--url", "https://x.test/a"], "--url names one page"),
        (["a.html", "--format", "xml"], "unknown format 'xml' (json, jsonl)"),
    ],
    ids=["several-files-as-json", "url-with-several-files", "unknown-format"],
)
def test_bad_usage_exits_2(saved: Path, arguments: list[str], message: str):
    result = exnews_clean(*arguments, cwd=saved)
    assert result.returncode == 2
    assert message in result.stderr.decode()
    assert result.stdout == b""
