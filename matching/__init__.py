"""Search: the need taxonomy, the search index, and the matching engine (no Flask in here)."""
