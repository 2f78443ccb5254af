"""The generated wiki: pages planned from static analysis, prose by the local model, markdown on disk.

``generation`` runs it (``generate_wiki``, ``export_wiki``); ``pages`` plans each page's sections,
``prose`` asks the model for their text, ``check`` verifies what that text names, and ``folder``
knows the wiki's folder, shared with the CLI and the window; ``html`` renders a page for the
window's web view and ``site`` writes the wiki as an offline HTML site.
"""
