"""Stable identifiers: the same article gets the same id on every run."""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit, urlunsplit


def canonical_url(url: str) -> str:
    """The URL without query string and fragment, host lower-cased; a URL urllib cannot
    split ("http://[::1", from a page's own canonical link) only loses query and fragment."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return url.strip().split("#")[0].split("?")[0]
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path, "", ""))


def article_id(source: str, native_id: str | None, language: str | None, url: str) -> str:
    """Hash of the source and the feed's own id (else the canonical URL), per language."""
    key = native_id if native_id else canonical_url(url)
    digest = hashlib.sha256(f"{source}\x1f{key}\x1f{language or ''}".encode())
    return digest.hexdigest()[:24]
