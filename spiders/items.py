"""What spiders yield: payloads to keep verbatim, and fetches that failed."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


def raw_id(url: str, sha256: str) -> str:
    """The same payload at the same URL is the same raw page, whichever run fetched it."""
    return hashlib.sha256(f"{url}\x1f{sha256}".encode()).hexdigest()[:24]


def entry_fingerprint(listed: Any) -> str:
    """A list entry's content, hashed: a changed title, time or type changes it."""
    text = json.dumps(listed, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


@dataclass
class RawPage:
    """One HTTP payload that produced something, with the real URL and the fetch metadata."""

    source: str
    feed: str
    page_kind: str
    url: str
    fetched_at: datetime
    status: int
    content_type: str | None
    headers: dict[str, str]
    body: bytes
    native_id: str | None = None
    context: str | None = None
    entry_fingerprint: str | None = None


@dataclass
class FetchFailure:
    """A request that gave no usable response (stage ``fetch``), or a response the spider
    could not read to follow its links (stage ``parse``); it becomes a ``quarantine`` row.

    ``raw_ref`` points at the stored payload of a ``parse`` failure.
    """

    source: str
    url: str
    error_type: str
    error: str
    failed_at: datetime
    status: int | None = None
    native_id: str | None = None
    blocked: bool = field(default=False)
    stage: str = "fetch"
    raw_ref: str | None = None
