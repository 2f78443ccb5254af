"""The bridge's requests about the wiki: generate, export, load the manifest and render a page."""
from __future__ import annotations

import posixpath
from pathlib import Path

from PySide6.QtCore import Slot

from ...core.datadir import lancedb_dir, wiki_dir
from ...jobs.names import GENERATE_WIKI
from ..pyside_fixes import emit


class WikiRequests:
    """Mixed into ServiceBridge: page rendering happens here, in the bridge thread, never in the window's."""

    @Slot(str, list)
    def generateWiki(self, repo: str, spec_ids: list) -> None:
        """Queue the wiki job for ``repo`` with these spec types (all of them when empty)."""
        from ...core.wiki.folder import SPEC_TYPES

        def run():
            self.service.enqueue(GENERATE_WIKI, repo, list(spec_ids) or list(SPEC_TYPES), None)
            self._poll_jobs()
        self._when_ready(run)

    @Slot(str, str)
    def exportWiki(self, repo: str, out_dir: str) -> None:
        """Queue the wiki job with the spec types of the wiki on disk (all when none) and an export folder."""
        from ...core.wiki.folder import SPEC_TYPES, load_manifest

        def run():
            specs = (load_manifest(wiki_dir(self.home, repo)) or {}).get("specs") or list(SPEC_TYPES)
            self.service.enqueue(GENERATE_WIKI, repo, list(specs), str(Path(out_dir).resolve()))
            self._poll_jobs()
        self._when_ready(run)

    @Slot(str)
    def loadWiki(self, repo: str) -> None:
        from ...core.wiki.folder import load_manifest

        manifest = load_manifest(wiki_dir(self.home, repo))
        emit(self.wikiLoaded, repo, manifest if isinstance(manifest, dict) else {})

    @Slot(str, str)
    def loadWikiPage(self, repo: str, page: str) -> None:
        """Read and render one docs page here, so a big page never stalls the window."""
        from ...core.wiki.folder import DOCS
        from ...core.wiki.html import app_document

        clean = posixpath.normpath(page)
        docs = wiki_dir(self.home, repo) / DOCS
        if clean.startswith(("..", "/")) or not clean.endswith(".md"):
            emit(self.wikiPageFailed, repo, page, f"{page} is not a page of the wiki of {repo}.")
            return
        try:
            text = (docs / clean).read_text(encoding="utf-8", errors="replace")
        except OSError:
            emit(self.wikiPageFailed, repo, page, f"{page} is not in the wiki of {repo}; generate the wiki again.")
            return
        emit(self.wikiPageLoaded, repo, page, app_document(text, self._stale_titles(repo, clean)))

    def _stale_titles(self, repo: str, page: str) -> frozenset[str]:
        """The page's sections whose cited code changed since the wiki was written: each shows a badge."""
        from ...core.index.store import ChunkStore
        from ...core.models.embedder import DIM
        from ...core.wiki.stale import stale_titles

        store = ChunkStore(lancedb_dir(self.home), DIM)
        return stale_titles(wiki_dir(self.home, repo), repo, page, lambda path: store.file_text(repo, path))

    @Slot(str, str)
    def exportWikiHtml(self, repo: str, out_dir: str) -> None:
        """Write the wiki on disk as an offline HTML site to ``out_dir`` (here, in the bridge thread)."""
        from ...core.errors import UserError
        from ...core.wiki.site import export_html_site

        try:
            out = export_html_site(wiki_dir(self.home, repo), Path(out_dir), repo)
        except UserError as exc:
            emit(self.errorOccurred, str(exc))
            return
        except OSError as exc:
            emit(self.errorOccurred, f"The HTML site of {repo} could not be written to {out_dir}: {exc.strerror or exc}.")
            return
        emit(self.wikiExported, repo, str(out))
