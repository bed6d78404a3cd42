"""The warehouse is a folder or an object-store URL, never a local folder named ``s3:``.

An unknown scheme, or one whose filesystem package is missing, is one clear error before
anything is written. (The object store itself: tests/warehouse/test_object_store.py.)
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from warehouse.layout import warehouse_root

REFUSED = {
    "nosuch://bucket/path": "Unsupported filesystem: 'nosuch'",
    "gs://bucket/path": "install gcsfs",  # not a dependency: gs:// needs it installed
}


@pytest.mark.parametrize("url", REFUSED)
def test_a_url_without_its_filesystem_is_refused(url: str):
    with pytest.raises(ValueError, match=f"warehouse '{url}': .*{REFUSED[url]}"):
        warehouse_root(url)


def test_a_url_in_the_environment_is_the_warehouse(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("EXNEWS_WAREHOUSE", "s3://bucket/path")
    root = warehouse_root()
    assert (root.protocol, str(root)) == ("s3", "s3://bucket/path")
    assert not isinstance(root, Path)  # never a local folder named "s3:"


def test_a_file_url_is_the_local_folder(tmp_path: Path):
    assert warehouse_root(f"file://{tmp_path}") == tmp_path


@pytest.mark.parametrize(
    "folder", ["data", "/srv/exnews", "C:/exnews", "C:\\exnews", "c://exnews", "odd:name"]
)
def test_local_folders_and_windows_drives_are_accepted(folder: str):
    assert warehouse_root(folder) == Path(folder)


@pytest.mark.parametrize(
    ("arguments", "env"),
    [
        (["--warehouse", "nosuch://bucket/path"], {}),
        ([], {"EXNEWS_WAREHOUSE": "nosuch://bucket/path"}),
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
        "error: warehouse 'nosuch://bucket/path': Unsupported filesystem: 'nosuch'"
    ]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.usefixtures("prefect_backend")
def test_the_flows_refuse_an_unknown_scheme_before_writing_anything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from flows.compact import compact
    from flows.ingest import ingest

    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="Unsupported filesystem"):
        ingest(sources=["binance"], warehouse="nosuch://bucket/path")
    monkeypatch.setenv("EXNEWS_WAREHOUSE", "nosuch://bucket/path")
    with pytest.raises(ValueError, match="Unsupported filesystem"):
        compact()
    assert list(tmp_path.iterdir()) == []
