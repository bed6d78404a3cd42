"""The warehouse is a local folder: a URL is refused with a clear error, never made a folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from warehouse.layout import warehouse_root

URLS = ["s3://bucket/path", "gs://bucket", "file:///tmp/warehouse", "az://container/x"]


@pytest.mark.parametrize("url", URLS)
def test_a_url_argument_is_refused(url: str):
    with pytest.raises(ValueError, match="is a URL; only a local folder is supported"):
        warehouse_root(url)


def test_a_url_in_the_environment_is_refused(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("EXNEWS_WAREHOUSE", "s3://bucket/path")
    with pytest.raises(ValueError, match="s3://bucket/path"):
        warehouse_root()


@pytest.mark.parametrize(
    "folder", ["data", "/srv/exnews", "C:/exnews", "C:\\exnews", "c://exnews", "odd:name"]
)
def test_local_folders_and_windows_drives_are_accepted(folder: str):
    assert warehouse_root(folder) == Path(folder)


@pytest.mark.parametrize(
    ("arguments", "env"),
    [
        (["--warehouse", "s3://bucket/path"], {}),
        ([], {"EXNEWS_WAREHOUSE": "s3://bucket/path"}),
    ],
)
@pytest.mark.parametrize(
    "command",
    [
        ["sql", "select 1"],
        ["ingest", "--sources", "binance"],
        ["backfill", "-s", "binance", "--start", "2026-09-01", "--end", "2026-10-01"],
        ["status"],
    ],
)
def test_the_cli_says_so_in_one_line_and_creates_no_folder(
    tmp_path: Path, command: list[str], arguments: list[str], env: dict[str, str]
):
    result = subprocess.run(
        [sys.executable, "-m", "flows", *command, *arguments],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
        env={**os.environ, "EXNEWS_CONNECT_TO": "*=http://127.0.0.1:9", **env},
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.strip().splitlines() == [
        "error: warehouse 's3://bucket/path' is a URL; only a local folder is supported "
        "(object storage is not, yet)"
    ]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.usefixtures("prefect_backend")
def test_the_flows_refuse_a_url_before_writing_anything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from flows.compact import compact
    from flows.ingest import ingest

    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="is a URL"):
        ingest(sources=["binance"], warehouse="s3://bucket/path")
    monkeypatch.setenv("EXNEWS_WAREHOUSE", "s3://bucket/path")
    with pytest.raises(ValueError, match="is a URL"):
        compact()
    assert list(tmp_path.iterdir()) == []
