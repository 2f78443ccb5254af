"""The repositories list: what is indexed, and what is being indexed right now."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QHeaderView, QMessageBox, QToolBar, QVBoxLayout, QWidget

from ..jobs.names import INDEX_ZIP as INDEX_TASK
from .pyside_fixes import emit
from .table_model import KeyedTableModel
from .widgets import PROGRESS_ROLE, icon, table_view

ACTIVE = {"queued": "queued", "deferred": "queued", "scheduled": "queued", "started": "indexing"}


class RepoListModel(KeyedTableModel):
    """Name, state, files, chunks, progress; fed by reposChanged and jobsChanged."""

    HEADERS = ("Name", "State", "Files", "Chunks", "Progress")
    NAME, STATE, FILES, CHUNKS, PROGRESS = range(5)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._repos: list[dict] = []
        self._jobs: list[dict] = []

    def key(self, row: dict) -> str:
        return row["name"]

    @Slot(list)
    def set_repos(self, repos: list) -> None:
        self._repos = list(repos)
        self._rebuild()

    @Slot(list)
    def set_jobs(self, jobs: list) -> None:
        self._jobs = [j for j in jobs if j.get("name") == INDEX_TASK and j.get("repo")]
        self._rebuild()

    def _rebuild(self) -> None:
        rows = {r["name"]: {"name": r["name"], "state": "ready", "files": r.get("files", 0),
                            "chunks": r.get("chunks", 0), "progress": None, "message": ""}
                for r in self._repos}
        for job in reversed(self._jobs):   # oldest first: the newest job of a repo wins
            state = ACTIVE.get(job["state"])
            if state is None:
                if job["state"] == "failed" and job["repo"] not in rows:
                    rows[job["repo"]] = {"name": job["repo"], "state": "failed", "files": 0, "chunks": 0,
                                         "progress": None, "message": job.get("error") or ""}
                continue
            row = rows.setdefault(job["repo"], {"name": job["repo"], "files": 0, "chunks": 0})
            prog = job.get("progress") or {}
            row.update(state=state, progress=int(prog.get("progress") or 0), message=prog.get("message", ""))
        self.set_rows([rows[name] for name in sorted(rows)])

    def cell(self, row: dict, column: int, role: int):
        if role == Qt.ItemDataRole.DisplayRole:
            if column == self.PROGRESS:
                return "" if row["progress"] is None else f"{row['progress']}%"
            return (row["name"], row["state"], row["files"], row["chunks"])[column] if column < 4 else None
        if role == PROGRESS_ROLE and column == self.PROGRESS:
            return row["progress"]
        if role == Qt.ItemDataRole.ToolTipRole:
            return row.get("message") or None
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (self.FILES, self.CHUNKS):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class RepoListPanel(QWidget):
    """The list with Remove and Re-index actions (toolbar and context menu), each confirmed."""

    removeRequested = Signal(str)
    reindexRequested = Signal(str)
    repoSelected = Signal(str)

    def __init__(self, model: RepoListModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = model
        self.view = table_view(model, RepoListModel.PROGRESS, RepoListModel.NAME, self)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(RepoListModel.NAME, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(48)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.remove_action = QAction(icon("remove"), "Remove…", self)
        self.reindex_action = QAction(icon("reindex"), "Re-index…", self)
        self.remove_action.triggered.connect(lambda: self._confirm("remove"))
        self.reindex_action.triggered.connect(lambda: self._confirm("reindex"))
        toolbar = QToolBar(self)
        for action in (self.reindex_action, self.remove_action):
            self.view.addAction(action)
            toolbar.addAction(action)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(toolbar)
        layout.addWidget(self.view)
        self.view.selectionModel().currentRowChanged.connect(self._current_changed)
        self._box: QMessageBox | None = None

    def selected_name(self) -> str | None:
        row = self.model.row_at(self.view.currentIndex().row()) if self.view.currentIndex().isValid() else None
        return row["name"] if row else None

    def _current_changed(self, current, _previous) -> None:
        name = self.selected_name()
        if name:
            emit(self.repoSelected, name)

    def _confirm(self, what: str) -> None:
        name = self.selected_name()
        if not name:
            return
        text = (f"Remove {name} and its index? The ZIP file itself is not touched." if what == "remove"
                else f"Index {name} again from its ZIP?")
        box = QMessageBox(QMessageBox.Icon.Question, "RepoWiki", text,
                          QMessageBox.StandardButton.Ok | QMessageBox.StandardButton.Cancel, self)
        box.finished.connect(lambda _result: self._confirmed(what, name, box))
        self._box = box
        box.open()

    def _confirmed(self, what: str, name: str, box: QMessageBox) -> None:
        if box.standardButton(box.clickedButton()) == QMessageBox.StandardButton.Ok:
            emit(self.removeRequested if what == "remove" else self.reindexRequested, name)
