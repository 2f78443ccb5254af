"""Indexing, search, models and wiki logic: no PySide6, no rq (a test enforces it)."""
