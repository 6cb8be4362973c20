"""Web-layer pieces shared by blueprints: running a search for a page or the API, words, headers."""
