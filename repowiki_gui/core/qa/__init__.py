"""Questions and answers: retrieval over the index (``search``), the cited answer (``answer``), the history.

``conversations`` keeps the chat in ``app.sqlite``; the wiki's prose reuses ``answer``'s citations.
"""
