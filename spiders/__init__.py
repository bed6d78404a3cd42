"""Scrapy side of exnews: fetch politely and store every payload verbatim; never interpret text."""
