"""One module per source, named as the source key, each with ``parse(page) -> list[Article]``,
and the readers several sources share (:data:`SHARED`), which are no sources."""

# Feed entries (feeds) and Gate Square's post text (gate_square_text): helpers, not sources.
SHARED = frozenset({"feeds", "gate_square_text"})
