"""One module per source, named as the source key, each with ``parse(page) -> list[Article]``."""
