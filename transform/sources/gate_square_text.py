"""Gate Square posts as a reader sees them: the page's text, line by line, read by landmarks.

Gate documents no structure for ``/post/status/<id>`` pages (reference §1.7, §12 q2), so
the post is read from its text rendering, by words the page shows: the post header ends
with "Follow"; the body ends at "View Original" (a translated post), the disclaimer or the
bar ("Reward"), its "post-image" placeholders dropped; the comment box is "Comment" over a
"0/400" counter; the site footer starts with the app promotion. The HTML page is rendered
to the same lines first (:func:`page_lines`), so a page and its text give one result.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import lxml.html

from transform.extract.dates import parse_datetime, resolve_relative
from transform.model import Comment, PayloadError

VIEW_ORIGINAL = "View Original"
IMAGE_PLACEHOLDER = "post-image"
DISCLAIMER = "This page may contain third-party content"
FOLLOW = "Follow"
FOOTER_STARTS = ("Trade Crypto Anywhere Anytime", "Scan to download Gate App")
ENGAGEMENT_KEYS = ("reward", "reposts", "shares", "comments", "views", "likes")

# Bar labels -> engagement keys; a label may carry its own count ("Repost 3").
_BAR_LABELS = {"reward": "reward", "repost": "reposts", "share": "shares"}
_COUNT = r"\d[\d,]*(?:\.\d+)?[KkMm]?"
_BAR_ITEM = re.compile(rf"^(?P<label>Reward|Repost|Share)s?\s*(?P<count>{_COUNT})?$")
_BARE_COUNT = re.compile(rf"^{_COUNT}$")
_COMMENT_COUNTER = re.compile(r"^\d+\s*/\s*\d+$")  # the comment box's "0/400"
# A comment's last line: "View OriginalReply0" (translated) or "Reply3", maybe "Like5".
_COMMENT_ACTIONS = re.compile(
    rf"^(?:{VIEW_ORIGINAL})?\s*Reply\s*(?P<replies>{_COUNT})?(?:\s*Like\s*(?P<likes>{_COUNT}))?$"
)
_BULLET = re.compile(r"^•\s*")
# The site renders a VIP badge as "vip" right after the name: "ChainMaskedRidervip".
_VIP_SUFFIX = "vip"

# innerText-like rendering: which elements break lines, which make paragraphs.
_PARAGRAPH_TAGS = frozenset({"p", "blockquote", "figure", "pre"} | {f"h{n}" for n in range(1, 7)})
_BLOCK_TAGS = _PARAGRAPH_TAGS | frozenset(
    {"div", "section", "article", "main", "aside", "footer", "ul", "ol", "li", "dl", "dt"}
    | {"dd", "table", "tr", "form", "figcaption", "body", "html"}
)
# Never text a reader sees, plus the site's header and menu landmarks.
_SKIPPED_TAGS = frozenset(
    {"head", "script", "style", "noscript", "template", "svg", "iframe", "textarea"}
    | {"header", "nav"}
)


@dataclass
class TextPost:
    """What the text of one post shows: header, body, bar and comments."""

    paragraphs: list[str]
    author: str | None = None
    posted_at: datetime | None = None
    translated: bool = False
    engagement: dict[str, int | None] = field(default_factory=dict)
    comments: list[Comment] = field(default_factory=list)


def page_lines(element: lxml.html.HtmlElement) -> list[str]:
    """The element's text as a browser's ``innerText`` gives it, list items bulleted.

    Inline elements glue together ("ChainMaskedRider" + "vip"), blocks start a new line,
    paragraphs and headings stand between blank lines, an image shows its alt text.
    """
    pieces: list[str | int] = []
    _walk(element, pieces)
    text, pending, started = [], 0, False
    for piece in pieces:
        if isinstance(piece, int):
            pending = max(pending, piece) if started else 0
        elif piece.strip() or piece == "\n":
            if pending:
                text.append("\n" * pending)
                pending = 0
            text.append(piece)
            started = True
        else:
            text.append(piece)
    return [line.strip() for line in "".join(text).split("\n")]


def _walk(element: lxml.html.HtmlElement, pieces: list[str | int]) -> None:
    tag = element.tag.lower() if isinstance(element.tag, str) else ""
    if not tag or tag in _SKIPPED_TAGS or _hidden(element):
        return
    if tag == "br":
        pieces.append("\n")
        return
    breaks = 2 if tag in _PARAGRAPH_TAGS else 1 if tag in _BLOCK_TAGS else 0
    if breaks:
        pieces.append(breaks)
    if tag == "li":
        pieces.append("• ")
    if tag == "img" and element.get("alt"):
        pieces.append(element.get("alt", ""))
    if element.text:
        pieces.append(re.sub(r"\s+", " ", element.text))
    for child in element:
        _walk(child, pieces)
        if child.tail:
            pieces.append(re.sub(r"\s+", " ", child.tail))
    if breaks:
        pieces.append(breaks)


def _hidden(element: lxml.html.HtmlElement) -> bool:
    style = (element.get("style") or "").replace(" ", "").lower()
    return element.get("hidden") is not None or "display:none" in style


def read_post(lines: list[str], post_id: str, fetched_at: datetime) -> TextPost:
    """The post in ``lines`` (a page or a feed card); raises when no post is there."""
    lines = [line.replace("\xa0", " ").strip() for line in lines]
    lines = lines[: _first(lines, lambda line: line in FOOTER_STARTS)]
    stop = _first(lines, _ends_body)
    if stop == len(lines):
        raise PayloadError("no post: no 'View Original', disclaimer or Reward bar on the page")
    head, tail = lines[:stop], lines[stop:]
    author, posted_at = None, None
    if FOLLOW in head:  # the post header; the last one, should a menu above say "Follow" too
        follow = len(head) - 1 - head[::-1].index(FOLLOW)
        author, posted_at = _header([line for line in head[:follow] if line], fetched_at)
        head = head[follow + 1 :]
    paragraphs = _paragraphs(head)
    if not paragraphs:
        raise PayloadError("the post has no text")
    box = _comment_box(tail)
    bar = tail[:box] if box is not None else tail
    comments = _comments(tail[box + 2 :], post_id, fetched_at) if box is not None else []
    return TextPost(
        paragraphs=paragraphs,
        author=author,
        posted_at=posted_at,
        translated=VIEW_ORIGINAL in bar,
        engagement=_engagement(bar),
        comments=comments,
    )


def _first(lines: list[str], test: Callable[[str], bool]) -> int:
    return next((index for index, line in enumerate(lines) if test(line)), len(lines))


def _ends_body(line: str) -> bool:
    """Images may sit between paragraphs, so "post-image" ends nothing (it is dropped)."""
    return (
        line == VIEW_ORIGINAL
        or line.startswith(DISCLAIMER)
        or _BAR_ITEM.match(_BULLET.sub("", line)) is not None
    )


def _header(lines: list[str], fetched_at: datetime) -> tuple[str | None, datetime | None]:
    """The lines before "Follow": the author, then the post's time when shown."""
    if not lines:
        return None, None
    posted_at = resolve_time(lines[-1], fetched_at)
    names = lines[:-1] if posted_at else lines
    return (split_badges(names[-1])[0] if names else None), posted_at


def _paragraphs(lines: list[str]) -> list[str]:
    """Blank lines separate paragraphs; image placeholders are not text."""
    paragraphs, current = [], []
    for line in [*lines, ""]:
        if line and line != IMAGE_PLACEHOLDER:
            current.append(line)
        elif current and not line:
            paragraphs.append("\n".join(current))
            current = []
    return paragraphs


def _comment_box(lines: list[str]) -> int | None:
    """Index of the "Comment" heading whose next line is the "0/400" counter."""
    for index, line in enumerate(lines[:-1]):
        if line == "Comment" and _COMMENT_COUNTER.match(lines[index + 1]):
            return index
    return None


def _engagement(bar: list[str]) -> dict[str, int | None]:
    """Labelled counts, plus the bar's one bare number: the comment icon's count.

    The bar reads "Reward, 4, Repost, Share": Reward, Repost and Share show no number
    of their own, and the bare 4 matches the comments listed below it.
    """
    figures: dict[str, int | None] = dict.fromkeys(ENGAGEMENT_KEYS)
    for line in (_BULLET.sub("", line) for line in bar):
        if match := _BAR_ITEM.match(line):
            if match["count"]:
                figures[_BAR_LABELS[match["label"].lower()]] = count(match["count"])
        elif _BARE_COUNT.match(line) and figures["comments"] is None:
            figures["comments"] = count(line)
    return figures


def _comments(lines: list[str], post_id: str, fetched_at: datetime) -> list[Comment]:
    """Each comment ends with its action line; lines that end no comment are not one."""
    comments, block = [], []
    for line in lines:
        actions = _COMMENT_ACTIONS.match(line)
        if actions is None:
            if line:
                block.append(line)
            continue
        comment = _comment(block, actions, post_id, fetched_at)
        if comment is not None:
            comments.append(comment)
        block = []
    return comments


def _comment(
    block: list[str], actions: re.Match[str], post_id: str, fetched_at: datetime
) -> Comment | None:
    """Author, "· 15h ago", text: the author is the line just above the time."""
    at = next((i for i, line in enumerate(block) if i and resolve_time(line, fetched_at)), None)
    if at is None:  # no time shown: the author, then the text
        name, posted_text, text_lines = (block[0] if block else ""), None, block[1:]
    else:
        name, posted_text, text_lines = block[at - 1], block[at].lstrip("· "), block[at + 1 :]
    if not name or not text_lines:
        return None
    author, badges = split_badges(name)
    text = "\n".join(text_lines)
    return Comment(
        comment_id=comment_id(post_id, author, text),
        text=text,
        author=author,
        author_badges=badges,
        posted_at=resolve_time(posted_text, fetched_at) if posted_text else None,
        posted_at_text=posted_text,
        reply_count=count(actions["replies"]) if actions["replies"] else None,
        like_count=count(actions["likes"]) if actions["likes"] else None,
    )


def comment_id(post_id: str, author: str | None, text: str) -> str:
    """Comments have no id on the page: the post, the author and the text name one."""
    digest = hashlib.sha256(f"{post_id}\x1f{author or ''}\x1f{text}".encode())
    return digest.hexdigest()[:24]


def split_badges(name: str) -> tuple[str, list[str]]:
    """ "ChainMaskedRidervip" -> ("ChainMaskedRider", ["VIP"])."""
    if name.endswith(_VIP_SUFFIX) and len(name) > len(_VIP_SUFFIX):
        return name.removesuffix(_VIP_SUFFIX), ["VIP"]
    return name, []


def resolve_time(text: str, fetched_at: datetime) -> datetime | None:
    """ "15h ago", "yesterday", "3小时前" against the fetch; or a full date stamp."""
    text = text.lstrip("· ").strip()
    if moment := resolve_relative(text, fetched_at):
        return moment
    if not re.match(r"^\d{4}-\d{2}-\d{2}", text):  # only full dates, never a bare number
        return None
    return parse_datetime(text)


def count(text: str) -> int:
    """ "4", "1,204", "1.2K", "3M" as an integer."""
    text = text.replace(",", "")
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1].lower(), 1)
    return round(float(text.rstrip("KkMm")) * scale)
