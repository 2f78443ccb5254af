"""RepoWiki: an offline wiki and chat for a ZIP of any source repository."""

__version__ = "0.1.0"
