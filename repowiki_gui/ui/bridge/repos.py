"""The bridge's requests about repositories: index, re-index, remove, read a file of one."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Slot

from ...core.datadir import app_db, lancedb_dir
from ...jobs.names import INDEX_ZIP
from ..pyside_fixes import emit


class RepoRequests:
    """Mixed into ServiceBridge: runs in the bridge thread with its ``home``, ``service`` and signals."""

    def _emit_repos(self) -> None:
        from ...core.index.repositories import RepoRegistry

        repos = [r.to_dict() for r in RepoRegistry(app_db(self.home)).all()]
        emit(self.reposChanged, repos)

    @Slot(str, str)
    def indexZip(self, path: str, name: str) -> None:
        from ...core.index.repositories import repo_name_for

        def run():
            self.service.enqueue(INDEX_ZIP, str(Path(path).resolve()), repo_name_for(Path(path), name))
            self._poll_jobs()
        self._when_ready(run)

    @Slot(str)
    def reindexRepo(self, name: str) -> None:
        from ...core.errors import UserError
        from ...core.index.repositories import RepoRegistry

        def run():
            repo = RepoRegistry(app_db(self.home)).get(name)
            if repo is None:
                raise UserError(f"There is no repository named {name}.")
            if not Path(repo.zip_path).is_file():
                raise UserError(f"The ZIP {repo.zip_path} of {name} is gone; drop it again to re-index.")
            self.service.enqueue(INDEX_ZIP, repo.zip_path, name)
            self._poll_jobs()
        self._when_ready(run)

    @Slot(str)
    def removeRepo(self, name: str) -> None:
        from ...core.errors import UserError
        from ...core.index.repositories import remove_repository

        def run():
            if name in self._active_index:  # queued: it holds no lock yet, but would index it again
                raise UserError(f"{name} is being indexed; cancel that job before removing it.")
            remove_repository(self.home, name)
            self._store = None  # its table handle still shows the removed rows
            self._emit_repos()
        self._when_ready(run)

    def _chunk_store(self):
        from ...core.models.embedder import DIM
        from ...core.index.store import ChunkStore

        if self._store is None:
            self._store = ChunkStore(lancedb_dir(self.home), DIM)
        return self._store

    @Slot(str, str)
    def readSource(self, repo: str, path: str) -> None:
        def run():
            store = self._chunk_store()
            store.refresh()   # the handle would still show the index as it was when it was opened
            text = store.file_text(repo, path)
            if text is None:
                emit(self.sourceFailed, repo, path, f"{path} is not in the index of {repo}.")
                return
            emit(self.sourceLoaded, repo, path, text)
        self._guard(run)

