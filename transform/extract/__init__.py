"""Generic extraction: any page (HTML, Markdown, JSON) to an article's text, Markdown,
metadata, dates and language, whatever its source (:mod:`transform.extract.clean`)."""
