"""Where the warehouse lives: a local folder or an object-store URL, one path type for both.

A location is a :class:`upath.UPath`: a local folder is a ``pathlib.Path`` (fsspec's local
filesystem underneath), ``s3://bucket/prefix`` an ``S3Path`` on ``s3fs`` (``gs://`` and
``az://`` likewise when ``gcsfs`` or ``adlfs`` is installed). Every module of the warehouse
joins, lists, reads and deletes through it; only the commit of a new file differs (see
``warehouse.writer.write_atomic``). S3 is configured by the standard variables, which
botocore reads itself: ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``,
``AWS_ENDPOINT_URL`` (an S3-compatible server), and ``AWS_REGION`` passed on here;
``AWS_ALLOW_HTTP`` only matters to DuckDB's httpfs (a plain-HTTP endpoint).

Listings are never cached: another process (another machine) adds files all the time.
The search index and the ``exnews.duckdb`` catalog need a local folder: for a remote
warehouse they live in :func:`local_cache` (``EXNEWS_CACHE``, else ``~/.cache/exnews``).
"""

from __future__ import annotations

import functools
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias

import duckdb
from fsspec import AbstractFileSystem
from upath import UPath

# ``s3://…``, ``file://…``; a one-letter "scheme" is a Windows drive (``C:/data``, ``C://x``).
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+://")
LOCAL_PROTOCOLS = frozenset({"", "file", "local"})
CACHE_VARIABLE = "EXNEWS_CACHE"
# A plain ``pathlib.Path`` (what tests and callers hand in) works wherever a location does.
Location: TypeAlias = UPath | Path


def location(text: str | os.PathLike[str]) -> UPath:
    """A folder as a ``Path``, a URL as the ``UPath`` of its protocol.

    An unknown scheme or a missing filesystem package is one clear ``ValueError``.
    """
    text = os.fspath(text)
    if not _URL.match(text) or text.startswith("file://"):
        return UPath(text.removeprefix("file://"))
    try:
        root = UPath(text, **_options(text.split("://", 1)[0]))
        root.fs  # noqa: B018 - its package (s3fs, gcsfs, adlfs) must be installed: say so now
    except (ValueError, ImportError) as error:
        raise ValueError(f"warehouse {text!r}: {error}") from error
    return root


def _options(protocol: str) -> dict[str, Any]:
    """No listing cache; ``AWS_REGION``, which botocore leaves to the SDKs (it reads
    ``AWS_DEFAULT_REGION``), as the S3 client's region; the endpoint named, because fsspec
    reuses a filesystem made with the same options, and one made for another endpoint
    earlier in the process would otherwise be taken for this one."""
    options: dict[str, Any] = {"use_listings_cache": False}
    if protocol in ("s3", "s3a"):
        if region := os.environ.get("AWS_REGION"):
            options["client_kwargs"] = {"region_name": region}
        if endpoint := os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL"):
            options["endpoint_url"] = endpoint
    return options


def is_local(path: Location) -> bool:
    return isinstance(path, Path) or getattr(path, "protocol", "") in LOCAL_PROTOCOLS


def local_cache(root: Location) -> Path:
    """A local folder for what must be a local file: the root itself when it is local."""
    if is_local(root):
        return Path(root)
    base = Path(os.environ.get(CACHE_VARIABLE) or Path.home() / ".cache" / "exnews")
    return base / root.protocol / str(root).split("://", 1)[1].strip("/")


@dataclass(frozen=True)
class Entry:
    name: str
    is_dir: bool


def entries(directory: Location) -> list[Entry]:
    """The names in ``directory`` (one listing call on an object store); none when missing."""
    if is_local(directory):
        try:
            with os.scandir(directory) as found:
                return sorted((Entry(e.name, e.is_dir()) for e in found), key=lambda e: e.name)
        except (FileNotFoundError, NotADirectoryError):
            return []
    try:
        listed = directory.fs.ls(directory.path, detail=True)
    except FileNotFoundError:
        return []
    return sorted(
        (Entry(item["name"].rstrip("/").rsplit("/", 1)[-1], item["type"] == "directory")
         for item in listed),
        key=lambda e: e.name,
    )  # fmt: skip


def files_under(directory: UPath) -> list[str]:
    """Every file below ``directory``, relative to it: one paginated listing of the keys."""
    prefix = directory.path.rstrip("/") + "/"
    try:
        keys = directory.fs.find(directory.path)
    except FileNotFoundError:
        return []
    return [key[len(prefix) :] for key in keys if key.startswith(prefix)]


def file_size(path: Location) -> int:
    """A warehouse file's size; asked once per process on an object store (files never change)."""
    if is_local(path):
        return path.stat().st_size
    return _immutable_reads(path.fs).size(path.path)


_REGISTER_LOCK = threading.Lock()


def attach(connection: duckdb.DuckDBPyConnection, root: Location) -> None:
    """Let DuckDB read ``root``'s files: local ones natively, remote ones by httpfs or fsspec.

    DuckDB's httpfs is used where it loads (it is not autoloaded, so an offline machine
    never tries to download it); elsewhere DuckDB calls back into ``root``'s fsspec
    filesystem for every read, so an object store is queried without any extension.
    Either is set up once per database.
    """
    if is_local(root):
        return
    with _REGISTER_LOCK:
        if root.protocol in connection.list_filesystems() or _httpfs(connection, root):
            return
        connection.register_filesystem(_immutable_reads(root.fs))


class _ImmutableInfo:
    """What a HEAD said about a Parquet file stays true: warehouse files never change once
    written (unique names, whole PUTs). DuckDB asks for a file's size, time and existence
    several times a query; each would be a round trip to the store."""

    _known: dict[str, dict[str, Any]]

    async def _info(self, path: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        if not path.endswith(".parquet"):
            return await super()._info(path, *args, **kwargs)  # type: ignore[misc]
        if path not in self._known:
            self._known[path] = await super()._info(path, *args, **kwargs)  # type: ignore[misc]
        return self._known[path]


@functools.cache
def _immutable_reads(store: AbstractFileSystem) -> AbstractFileSystem:
    """``store`` for DuckDB's reads, remembering what it learnt of each file: one per
    process, so every connection (every ``connect()``) shares what the others learnt."""
    base = type(store)
    reads = type(f"Immutable{base.__name__}", (_ImmutableInfo, base), {})
    filesystem = reads(**store.storage_options, skip_instance_cache=True)
    filesystem._known = {}
    return filesystem


def _httpfs(connection: duckdb.DuckDBPyConnection, root: UPath) -> bool:
    """Load httpfs and give it the standard S3 variables; False when it cannot load."""
    if root.protocol != "s3":
        return False
    try:
        connection.load_extension("httpfs")
    except duckdb.Error:
        return False
    secrets = "SELECT count(*) FROM duckdb_secrets() WHERE name = 'exnews_s3'"
    if connection.execute(secrets).fetchone()[0]:
        return True
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or ""
    plain = endpoint.startswith("http://") or os.environ.get("AWS_ALLOW_HTTP", "").lower() in (
        "1",
        "true",
    )
    settings = {
        "KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID"),
        "SECRET": os.environ.get("AWS_SECRET_ACCESS_KEY"),
        "SESSION_TOKEN": os.environ.get("AWS_SESSION_TOKEN"),
        "REGION": os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"),
        "ENDPOINT": endpoint.split("://", 1)[-1] or None,
        "URL_STYLE": "path" if endpoint else None,
        "USE_SSL": "false" if plain else None,
    }
    given = ", ".join(
        f"{name} '{value.replace(chr(39), chr(39) * 2)}'"
        for name, value in settings.items()
        if value
    )
    connection.execute(f"CREATE SECRET exnews_s3 (TYPE s3{', ' if given else ''}{given})")
    return True
