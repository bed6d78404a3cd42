"""Article markup to plain text and Markdown, both from one walk of a node tree.

The tree is the shape Binance ships its bodies in (``{"node": "root", "child": [...]}``,
elements with ``tag``/``attr``/``child``, text nodes with ``text``); HTML from any other
source is parsed into the same shape, so every source renders lists, tables and links alike.
"""

from __future__ import annotations

import html
import re
import textwrap
from typing import Any, NamedTuple

import lxml.html

from transform.limits import MAX_MARKUP_DEPTH, LimitError
from transform.model import PayloadError, RenderedBody

Node = dict[str, Any]

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# Tags that end the running paragraph; everything else is rendered inline.
_BLOCK_TAGS = frozenset(
    {"p", "div", "section", "article", "blockquote", "pre", "hr", "ul", "ol", "li", "table"}
    | {f"h{level}" for level in range(1, 7)}
)
_CONTAINER_TAGS = frozenset({"p", "div", "section", "article", "li"})
_LIST_TAGS = frozenset({"ul", "ol"})
_INLINE_MARKS = {"strong": "**", "b": "**", "em": "*", "i": "*", "code": "`"}
# Never content: scripts, styles, forms and the page's own navigation chrome.
_DROPPED_TAGS = frozenset(
    {"script", "style", "noscript", "template", "svg", "iframe", "form", "button", "nav"}
)


class MarkupError(PayloadError):
    """The markup is not a node tree, or holds no text at all."""


class _Piece(NamedTuple):
    text: str
    markdown: str


def render_tree(tree: Node, drop_leading: str | None = None) -> RenderedBody:
    """Both renderings of a tree; ``drop_leading`` drops a first block starting so (a notice)."""
    if not isinstance(tree, dict) or tree.get("node") != "root":
        raise MarkupError("not a node tree: no root node")
    _check_depth(tree)
    blocks = _blocks(_children(tree))
    if blocks and drop_leading and blocks[0].text.lower().startswith(drop_leading.lower()):
        blocks = blocks[1:]
    text = "\n\n".join(block.text for block in blocks if block.text)
    if not text:
        raise MarkupError("empty body")
    return RenderedBody(text, "\n\n".join(block.markdown for block in blocks if block.markdown))


def _check_depth(tree: Node) -> None:
    """The renderers recurse once or twice per level: refuse a tree they could not finish."""
    level: list[Any] = [tree]
    for _ in range(MAX_MARKUP_DEPTH + 1):
        level = [
            child
            for node in level
            if isinstance(node, dict) and isinstance(node.get("child"), list)
            for child in node["child"]
        ]
        if not level:
            return
    raise LimitError(f"markup is nested deeper than {MAX_MARKUP_DEPTH} levels")


def html_tree(markup: str | lxml.html.HtmlElement) -> Node:
    """HTML (a fragment or a page's element) as a node tree, without scripts and chrome."""
    if isinstance(markup, str):
        # Control characters no browser shows, and which lxml refuses in a string.
        markup = _CONTROL.sub("", markup)
        if not markup.strip():
            raise MarkupError("empty body")
        try:
            markup = lxml.html.fragment_fromstring(markup, create_parent="div")
        except (ValueError, lxml.etree.ParserError) as error:
            raise MarkupError(f"unreadable HTML: {error}") from error
    return {"node": "root", "child": [_element_node(markup)]}


def render_html(markup: str | lxml.html.HtmlElement) -> RenderedBody:
    """Text and Markdown of HTML: lists, tables, headings and links kept."""
    return render_tree(html_tree(markup))


def _element_node(element: lxml.html.HtmlElement) -> Node:
    children: list[Node] = [{"node": "text", "text": element.text}] if element.text else []
    for child in element:
        if isinstance(child.tag, str) and child.tag.lower() not in _DROPPED_TAGS:
            children.append(_element_node(child))
        if child.tail:
            children.append({"node": "text", "text": child.tail})
    return {"node": "element", "tag": element.tag, "attr": dict(element.attrib), "child": children}


def _children(node: Node) -> list[Node]:
    children = node.get("child", [])
    if not isinstance(children, list) or not all(isinstance(child, dict) for child in children):
        raise MarkupError(f"child of a {node.get('node')!r} node is not a list of nodes")
    return children


def _tag(node: Node) -> str:
    return str(node.get("tag", "")).lower() if node.get("node") == "element" else ""


def _raw_text(node: Node) -> str:
    """Binance leaves HTML entities (``&amp;``, ``&nbsp;``) escaped inside text nodes."""
    text = node.get("text", "")
    if not isinstance(text, str):
        raise MarkupError("text node without a string text")
    return html.unescape(text)


def _blocks(nodes: list[Node]) -> list[_Piece]:
    """Blocks in document order; inline runs between block elements become paragraphs."""
    blocks: list[_Piece] = []
    run: list[Node] = []
    for node in nodes:
        if _tag(node) in _BLOCK_TAGS:
            blocks += _paragraph(run)
            blocks += _block(node)
            run = []
        else:
            run.append(node)
    return blocks + _paragraph(run)


def _paragraph(nodes: list[Node]) -> list[_Piece]:
    piece = _inline(nodes)
    text, markdown = _tidy(piece.text), _tidy(piece.markdown)
    return [_Piece(text, markdown)] if text else []


def _tidy(text: str) -> str:
    return re.sub(r" *\n *", "\n", re.sub(r" {2,}", " ", text)).strip()


def _block(node: Node) -> list[_Piece]:
    tag = _tag(node)
    if tag in _CONTAINER_TAGS:
        return _blocks(_children(node))
    if tag in _LIST_TAGS:
        return _list(node)
    if tag == "table":
        return _table(node)
    if tag == "blockquote":
        quoted = _blocks(_children(node))
        return [_Piece(b.text, re.sub(r"^(?=.)", "> ", b.markdown, flags=re.M)) for b in quoted]
    if tag == "pre":
        code = _raw(node).strip("\n")
        return [_Piece(code, f"```\n{code}\n```")] if code.strip() else []
    if tag == "hr":
        return [_Piece("", "---")]
    # h1-h6: the article title is the page's h1, so body headings start at level 2.
    heading = _paragraph(_children(node))
    hashes = "#" * max(int(tag[1]), 2)
    return [_Piece(piece.text, f"{hashes} {piece.markdown}") for piece in heading]


def _inline(nodes: list[Node]) -> _Piece:
    pieces = [_inline_node(node) for node in nodes]
    return _Piece("".join(p.text for p in pieces), "".join(p.markdown for p in pieces))


def _inline_node(node: Node) -> _Piece:
    if node.get("node") == "text":
        text = re.sub(r"\s+", " ", _raw_text(node))  # HTML whitespace: newlines are spaces
        return _Piece(text, text)
    tag = _tag(node)
    if tag == "br":
        return _Piece("\n", "\n")
    if not tag or tag == "img":
        return _Piece("", "")
    inner = _inline(_children(node))
    if tag in _BLOCK_TAGS:  # a block inside inline content (table cell, span): keep words apart
        return _Piece(f" {inner.text} ", f" {inner.markdown} ")
    if tag in _INLINE_MARKS:
        mark = _INLINE_MARKS[tag]
        return _Piece(inner.text, _wrap(inner.markdown, mark, mark))
    attr = node.get("attr")
    href = attr.get("href") if isinstance(attr, dict) else None
    if tag == "a" and isinstance(href, str) and href:
        return _Piece(inner.text, _wrap(inner.markdown, "[", f"]({href})"))
    return inner


def _wrap(markdown: str, opening: str, closing: str) -> str:
    """Markers hug the words: ``** x **`` is not bold in Markdown, ``**x**`` is."""
    core = markdown.strip()
    if not core:
        return markdown
    leading = markdown[: len(markdown) - len(markdown.lstrip())]
    trailing = markdown[len(markdown.rstrip()) :]
    return f"{leading}{opening}{core}{closing}{trailing}"


def _list(node: Node) -> list[_Piece]:
    """Markdown items get ``- ``/``1. `` markers; text items are bare lines."""
    ordered = _tag(node) == "ol"
    text_lines: list[str] = []
    markdown_lines: list[str] = []
    number = 0
    for child in _children(node):
        if _tag(child) in _LIST_TAGS:  # a list nested without an <li>: indent under the last item
            for nested in _list(child):
                text_lines.append(nested.text)
                markdown_lines.append(textwrap.indent(nested.markdown, "  "))
            continue
        item = _blocks(_children(child) if _tag(child) == "li" else [child])
        if not item:
            continue
        number += 1
        marker = f"{number}. " if ordered else "- "
        body = "\n".join(block.markdown for block in item if block.markdown)
        markdown_lines.append(marker + textwrap.indent(body, " " * len(marker)).lstrip())
        text_lines += [block.text for block in item if block.text]
    if not text_lines:
        return []
    return [_Piece("\n".join(text_lines), "\n".join(markdown_lines))]


def _table(node: Node) -> list[_Piece]:
    """GitHub table in Markdown (first row is the header), tab-separated rows in text."""
    rows = [row for row in _rows(node) if any(cell.text for cell in row)]
    if not rows:
        return []
    width = max(len(row) for row in rows)
    cells = [[cell.markdown.replace("|", r"\|") for cell in row] for row in rows]
    cells = [row + [""] * (width - len(row)) for row in cells]
    lines = [cells[0], ["---"] * width, *cells[1:]]
    markdown = "\n".join(f"| {' | '.join(line)} |" for line in lines)
    text = "\n".join("\t".join(cell.text for cell in row) for row in rows)
    return [_Piece(text, markdown)]


def _rows(node: Node) -> list[list[_Piece]]:
    rows: list[list[_Piece]] = []
    for child in _children(node):
        tag = _tag(child)
        if tag == "tr":
            cells = [_inline(_children(c)) for c in _children(child) if _tag(c) in ("td", "th")]
            rows.append([_Piece(_cell(c.text), _cell(c.markdown)) for c in cells])
        elif tag in ("thead", "tbody", "tfoot"):
            rows += _rows(child)
    return rows


def _cell(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _raw(node: Node) -> str:
    """Preformatted text keeps its whitespace."""
    if node.get("node") == "text":
        return _raw_text(node)
    if _tag(node) == "br":
        return "\n"
    return "".join(_raw(child) for child in _children(node))
