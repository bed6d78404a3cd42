"""One module per source; Scrapy's spider loader finds them here (SPIDER_MODULES)."""
