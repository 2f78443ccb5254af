"""A stand-in for ServiceBridge: the same signals and slots, records every call, emits on demand."""
from __future__ import annotations

from repowiki_gui.ui.bridge import BridgeSignals


class FakeBridge(BridgeSignals):
    """Records slot calls in ``calls`` as (name, args); tests emit the signals themselves."""

    def __init__(self, sources: dict[tuple[str, str], str] | None = None, wikis: dict[str, object] | None = None):
        super().__init__()
        self.calls: list[tuple[str, tuple]] = []
        # When set, readSource answers at once from here, as the real bridge would a moment later.
        self.sources = sources
        # repo -> a wiki folder (wiki.json, docs/): loadWiki and loadWikiPage answer from it at once.
        self.wikis = wikis

    def call(self, name: str, *args) -> None:
        """As ServiceBridge.call: run the request slot ``name`` (here at once, in this thread)."""
        getattr(self, name)(*args)

    def called(self, name: str) -> list[tuple]:
        """The argument tuples of every call to ``name``."""
        return [args for n, args in self.calls if n == name]

    def ask(self, request_id: str, repo: str, question: str, conversation_id: str) -> None:
        self.calls.append(("ask", (request_id, repo, question, conversation_id)))

    def stopAnswer(self, answer_job_id: str) -> None:  # noqa: N802
        self.calls.append(("stopAnswer", (answer_job_id,)))

    def listConversations(self, repo: str) -> None:  # noqa: N802
        self.calls.append(("listConversations", (repo,)))

    def loadConversation(self, conversation_id: str) -> None:  # noqa: N802
        self.calls.append(("loadConversation", (conversation_id,)))

    def readSource(self, repo: str, path: str) -> None:  # noqa: N802
        self.calls.append(("readSource", (repo, path)))
        if self.sources is not None and (repo, path) in self.sources:
            self.sourceLoaded.emit(repo, path, self.sources[(repo, path)])
        elif self.sources is not None:
            self.sourceFailed.emit(repo, path, f"{path} is not in the index of {repo}.")

    def listFiles(self, repo: str) -> None:  # noqa: N802
        """The repository's files: those of ``sources`` (with their line counts), as the real bridge lists them."""
        self.calls.append(("listFiles", (repo,)))
        if self.sources is not None:
            files = [{"path": p, "language": "python" if p.endswith(".py") else "", "lines": text.count("\n") + 1}
                     for (r, p), text in sorted(self.sources.items()) if r == repo]
            self.filesListed.emit(repo, files)

    def searchCode(self, request_id: str, repo: str, query: str, language: str, prefix: str) -> None:  # noqa: N802
        """Recorded only: a test answers with ``codeSearchDone`` itself, in the order it wants."""
        self.calls.append(("searchCode", (request_id, repo, query, language, prefix)))

    def generateWiki(self, repo: str, spec_ids: list) -> None:  # noqa: N802
        self.calls.append(("generateWiki", (repo, list(spec_ids))))

    def exportWiki(self, repo: str, out_dir: str) -> None:  # noqa: N802
        self.calls.append(("exportWiki", (repo, out_dir)))

    def exportWikiHtml(self, repo: str, out_dir: str) -> None:  # noqa: N802
        self.calls.append(("exportWikiHtml", (repo, out_dir)))

    def loadWiki(self, repo: str) -> None:  # noqa: N802
        from repowiki_gui.core.wiki.folder import load_manifest

        self.calls.append(("loadWiki", (repo,)))
        if self.wikis is not None:
            folder = self.wikis.get(repo)
            self.wikiLoaded.emit(repo, (load_manifest(folder) if folder else None) or {})

    def loadWikiPage(self, repo: str, page: str) -> None:  # noqa: N802
        from pathlib import Path

        from repowiki_gui.core.wiki.html import app_document
        from repowiki_gui.core.wiki.stale import stale_titles

        self.calls.append(("loadWikiPage", (repo, page)))
        if self.wikis is None:
            return
        try:
            text = (Path(self.wikis[repo]) / "docs" / page).read_text(encoding="utf-8")
        except (KeyError, OSError):
            self.wikiPageFailed.emit(repo, page, f"{page} is not in the wiki of {repo}.")
            return
        # as the real bridge: sections whose cited lines differ from ``sources`` now get the stale badge
        stale = stale_titles(Path(self.wikis[repo]), repo, page, lambda path: (self.sources or {}).get((repo, path)))
        self.wikiPageLoaded.emit(repo, page, app_document(text, stale))
