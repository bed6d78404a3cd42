"""The sources exnews knows: every spider in ``spiders.sources``, found by Scrapy's loader."""

from __future__ import annotations

from functools import cache

from scrapy.settings import Settings
from scrapy.spiderloader import SpiderLoader

from spiders.base import WindowedSpider


@cache
def _loader() -> SpiderLoader:
    settings = Settings()
    settings.setmodule("spiders.settings", priority="project")
    return SpiderLoader.from_settings(settings)


def source_names() -> list[str]:
    return sorted(_loader().list())


def spider_class(source: str) -> type[WindowedSpider]:
    return _loader().load(source)
