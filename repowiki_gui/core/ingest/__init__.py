"""Ingest: a repository ZIP read safely (``archive``) and the files worth indexing picked and decoded (``files``)."""
