"""The index: files chunked along their definitions (``symbols``, ``chunking``), embedded and written to LanceDB.

``indexer`` runs the whole step for one ZIP; ``store`` holds the code chunks, ``sections``
the wiki's sections, ``terms`` the identifier-aware full-text terms both share, and
``repositories`` the row per indexed repository in ``app.sqlite``.
"""
