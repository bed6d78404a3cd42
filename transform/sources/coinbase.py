"""Coinbase: the blog's RSS (summaries, so each post page is read too) and status incidents."""

from __future__ import annotations

from transform.extract.dates import parse_datetime
from transform.extract.html import extract_article
from transform.extract.markup import RenderedBody, render_html
from transform.model import Article, Page, PayloadError
from transform.sources.feeds import (
    FeedItem,
    blog_category,
    feed_article,
    feed_items,
    feed_of,
    plain_text,
    status_articles,
)


def listed_post(item: FeedItem) -> dict[str, object]:
    """What the feed says about a post, kept as the detail page's context."""
    return {
        "title": item.title,
        "url": item.link,
        "published": item.published,
        "summary": item.description,
        "author": item.author,
        "categories": list(item.categories),
    }


def item_article(page: Page, item: FeedItem) -> Article:
    """A feed item: whole when it carries ``content:encoded``, else a partial summary."""
    title = plain_text(item.title)
    if not title or not item.link or not item.native_id:
        raise PayloadError(f"blog item lacks title or link: {item.title!r}")
    return feed_article(
        page,
        native_id=item.native_id,
        url=item.link,
        title=title,
        published_at=parse_datetime(item.published),
        category=blog_category(item.categories, title),
        body=render_html(item.content) if item.content else None,
        summary=plain_text(item.description),
        author=item.author,
        source_categories=item.categories,
        partial=item.content is None,
    )


def post_article(page: Page) -> Article:
    """A post page; the feed's title, time and labels (the context) come before the page's."""
    if not page.native_id:
        raise PayloadError("post page stored without the post's id")
    extracted = extract_article(page.body, page.url)
    metadata = extracted.metadata
    url = page.context_value("url") or metadata.canonical_url or page.url
    title = plain_text(page.context_value("title")) or metadata.title
    if not title:
        raise PayloadError("post page has no title")
    labels = page.context_value("categories") or []
    return feed_article(
        page,
        native_id=page.native_id,
        url=url,
        title=title,
        published_at=parse_datetime(page.context_value("published")) or metadata.published_at,
        category=blog_category(labels, title),
        body=RenderedBody(extracted.body_text, extracted.body_markdown),
        summary=plain_text(page.context_value("summary")) or metadata.summary,
        author=page.context_value("author") or metadata.author,
        source_categories=labels,
        updated_at=metadata.updated_at,
    )


def parse(page: Page) -> list[Article]:
    feed = feed_of(page)
    if feed == "status":
        return status_articles(page)
    if feed == "blog" and page.page_kind == "list":
        return [item_article(page, item) for item in feed_items(page.body)]
    if feed == "blog" and page.page_kind == "detail":
        return [post_article(page)]
    raise PayloadError(f"unknown Coinbase page: feed {feed!r}, kind {page.page_kind!r}")
