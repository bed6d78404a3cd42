"""The limits every transform entry point holds to, so that no input — a 16 MB page, JSON
nested 5,000 deep, a megabyte of one line — takes unbounded time, memory or stack.

Past a limit, transform either refuses the input with :class:`LimitError` (a
``PayloadError``: the flows quarantine the page with the message, ``exnews clean`` prints
it) or, where a useful article can still be had, degrades in a stated way and says so in
``Article.limits``. README ("Limits") lists them for users.
"""

from __future__ import annotations

import json
import re
from typing import Any

from transform.model import PayloadError

# The spiders' download cap (spiders.settings.DOWNLOAD_MAXSIZE): a bigger payload is
# refused, never half-read.
MAX_PAYLOAD_BYTES = 16 * 1024 * 1024
# JSON (payloads, script blocks, Binance's body tree) nested deeper than this is refused:
# real payloads stay under 30 levels, and the node-tree renderers recurse per level.
MAX_JSON_DEPTH = 200
# Node levels a body tree (JSON node tree, or HTML once parsed) may have to be rendered.
MAX_MARKUP_DEPTH = 100
# A time longer than this is no time (dateparser slows down badly on long text: a 50 kB
# "date" took 16 s); parse_datetime answers None.
MAX_DATE_CHARS = 100
# Mentions, coins, pairs, topics and the fingerprint are read from the first ENRICH_TEXT_CHARS
# characters of a field (about 30,000 words; the largest fixture page is 20 KB in all
# its markup): a longer field still lands whole, with a note in ``Article.limits``.
ENRICH_TEXT_CHARS = 200_000

# A JSON string (escapes included) and the bytes that are no bracket.
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in b"[]{}")
_OPENING = frozenset(b"[{")


class LimitError(PayloadError):
    """The input is past one of the documented limits of this module."""


def check_size(body: bytes | str, what: str = "payload") -> None:
    """Refuse a payload bigger than the spiders would ever have stored."""
    size = len(body)
    if size > MAX_PAYLOAD_BYTES:
        raise LimitError(
            f"{what} is {size / 2**20:.1f} MiB, over the {MAX_PAYLOAD_BYTES // 2**20} MiB limit"
        )


def check_json_depth(data: bytes | str, what: str = "JSON") -> None:
    """Refuse JSON nested deeper than :data:`MAX_JSON_DEPTH`, before any parser recurses
    into it: strings are cut out, then brackets counted (linear, stops at the limit)."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    depth = 0
    for byte in _JSON_STRING.sub(b"", raw).translate(None, _NOT_BRACKETS):
        depth = depth + 1 if byte in _OPENING else depth - 1
        if depth > MAX_JSON_DEPTH:
            raise LimitError(f"{what} is nested deeper than {MAX_JSON_DEPTH} levels")


def load_json(data: bytes | str, what: str = "JSON") -> Any:
    """``json.loads`` within :data:`MAX_JSON_DEPTH`; ``ValueError`` when it is no JSON."""
    check_json_depth(data, what)
    return json.loads(data)


def enrich_text(text: str) -> tuple[str, str | None]:
    """The part of ``text`` enrichment reads, and the note to record when it is cut."""
    if len(text) <= ENRICH_TEXT_CHARS:
        return text, None
    note = f"only the first {ENRICH_TEXT_CHARS:,} of {len(text):,} characters"
    return text[:ENRICH_TEXT_CHARS], note
