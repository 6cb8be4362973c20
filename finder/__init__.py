"""The public site for people looking for help: start, results, provider pages, reports."""
