"""Scrapy defaults for every exnews crawl: polite, bounded, honest."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

BOT_NAME = "exnews"
SPIDER_MODULES = ["spiders.sources"]

USER_AGENT = "exnews/0.1 (+https://github.com/exnews/exnews; exchange-news archiver)"
ROBOTSTXT_OBEY = True

# One or two requests at a time per host, adapting to the server's latency.
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = float(os.environ.get("EXNEWS_DOWNLOAD_DELAY", "0.5"))
DOWNLOAD_DELAY_JITTER = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = DOWNLOAD_DELAY
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

DOWNLOAD_TIMEOUT = float(os.environ.get("EXNEWS_DOWNLOAD_TIMEOUT", "30"))
# The cap holds for the body as sent and, in HttpCompressionMiddleware, as decompressed.
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
# A body shorter than its Content-Length is a failure (retried, then quarantined), never
# a page stored half.
DOWNLOAD_FAIL_ON_DATALOSS = True

# Retries with exponential backoff that honours Retry-After; other 4xx are final.
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [408, 429, 500, 502, 503, 504, 522, 524]
RETRY_BACKOFF_BASE = float(os.environ.get("EXNEWS_RETRY_BACKOFF_BASE", "2.0"))
RETRY_BACKOFF_MAX = 120.0

DOWNLOADER_MIDDLEWARES = {
    # Before robots.txt (100): a refused host gets no request at all, not even robots.txt.
    "spiders.middlewares.SourceHostsMiddleware": 60,
    # A robots.txt request another crawl answered lately is answered from its copy.
    "spiders.robots_cache.RobotsTxtCacheMiddleware": 70,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "spiders.middlewares.RetryAfterMiddleware": 550,
    # Known list pages are asked for with their validators; a 304 reads the stored payload.
    "spiders.polls.ConditionalRequestMiddleware": 580,
}
# A callback that cannot read its response (a changed layout) leaves a quarantine row.
SPIDER_MIDDLEWARES = {"spiders.middlewares.ParseFailureMiddleware": 950}
DOWNLOAD_HANDLERS = {
    "http": "spiders.host_limits.HostLimitedDownloadHandler",
    "https": "spiders.host_limits.HostLimitedDownloadHandler",
}
# What the crawls of this user on this machine share per host: its slot (concurrency,
# delay) across crawls, so sources sharing a host crawl side by side (spiders.host_limits),
# and its robots.txt, kept ROBOTSTXT_CACHE_SECONDS (spiders.robots_cache).
EXNEWS_HOSTS_DIR = os.environ.get(
    "EXNEWS_HOSTS_DIR", str(Path(tempfile.gettempdir()) / f"exnews-hosts-{os.getuid()}")
)
ROBOTSTXT_CACHE_SECONDS = 3600.0
# "HOST=BASE,..." with HOST a host name or "*": like curl's --connect-to.
CONNECT_TO = os.environ.get("EXNEWS_CONNECT_TO", "")

ITEM_PIPELINES = {"spiders.pipelines.RawPageWriter": 300}

COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
LOG_LEVEL = os.environ.get("EXNEWS_LOG_LEVEL", "INFO")
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"

# exnews: where pages go and which run they belong to (set by spiders.crawl).
EXNEWS_WAREHOUSE = os.environ.get("EXNEWS_WAREHOUSE", "data")
EXNEWS_RUN_ID = ""
EXNEWS_MAX_PAGES = 20
