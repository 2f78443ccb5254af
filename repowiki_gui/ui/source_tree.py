"""The Source tab: the repository's file tree (every indexed file) beside a wide source view."""
from __future__ import annotations

import posixpath

from PySide6.QtCore import QSortFilterProxyModel, Qt, Slot
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QSplitter, QTreeView, QVBoxLayout, QWidget

from .source_view import SourceView
from .widgets import refill_repo_combo

PATH_ROLE = Qt.ItemDataRole.UserRole + 1   # a file's repository path; None on a folder
SORT_ROLE = Qt.ItemDataRole.UserRole + 2   # "0name" for a folder, "1name" for a file: folders first, then by name


def build_tree(files: list[dict], parent=None) -> QStandardItemModel:
    """A model of folders and files (``indexed_files`` rows); the proxy sorts folders first."""
    model = QStandardItemModel(parent)
    # Top-level rows go in through the model itself: with PySide6 6.11, a wrapper of
    # invisibleRootItem() that dies here left an item's text to be overwritten later (use after free).
    folders: dict[str, QStandardItem | QStandardItemModel] = {"": model}

    def folder(path: str) -> QStandardItem:
        if path not in folders:
            parent = folder(posixpath.dirname(path))
            item = QStandardItem(posixpath.basename(path) + "/")
            item.setEditable(False)
            item.setData(None, PATH_ROLE)
            item.setData(f"0{posixpath.basename(path).lower()}", SORT_ROLE)
            parent.appendRow(item)
            folders[path] = item
        return folders[path]

    for f in sorted(files, key=lambda f: f["path"]):
        item = QStandardItem(posixpath.basename(f["path"]))
        item.setEditable(False)
        item.setData(f["path"], PATH_ROLE)
        item.setData(f"1{posixpath.basename(f['path']).lower()}", SORT_ROLE)
        language = f", {f['language']}" if f.get("language") else ""
        item.setToolTip(f"{f['path']} — {f.get('lines', '?')} lines{language}")
        folder(posixpath.dirname(f["path"])).appendRow(item)
    return model


class SourceBrowser(QWidget):
    """Repository chooser, a filterable tree of its indexed files, and the source view (``view``)."""

    def __init__(self, bridge, parent=None):
        super().__init__(parent)
        self._bridge = bridge
        self._files: dict[str, list[dict]] = {}   # repo -> its files, as last listed
        self.repo_combo = QComboBox(self)
        self.repo_combo.setPlaceholderText(self.tr("No repository indexed yet"))
        self.repo_combo.setToolTip(self.tr("The repository whose files the tree shows"))
        self.repo_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.repo_combo.setMinimumContentsLength(8)   # a long name does not widen the window
        self.filter_edit = QLineEdit(self)
        self.filter_edit.setPlaceholderText(self.tr("Filter files"))
        self.filter_edit.setClearButtonEnabled(True)
        self.model = QStandardItemModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setRecursiveFilteringEnabled(True)   # a folder stays while a file under it matches
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setSortRole(SORT_ROLE)
        self.proxy.sort(0)
        self.tree = QTreeView(self)
        self.tree.setModel(self.proxy)
        self.tree.setHeaderHidden(True)
        self.tree.setUniformRowHeights(True)   # thousands of files lay out quickly
        self.count_label = QLabel(self)
        self.count_label.setTextFormat(Qt.TextFormat.PlainText)
        self.view = SourceView(bridge, self)

        side = QWidget(self)
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(QLabel(self.tr("Repository"), side))
        row.addWidget(self.repo_combo, 1)
        side_layout.addLayout(row)
        side_layout.addWidget(self.filter_edit)
        side_layout.addWidget(self.tree, 1)
        side_layout.addWidget(self.count_label)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("sourceSplitter")
        self.splitter.addWidget(side)
        self.splitter.addWidget(self.view)
        self.splitter.setStretchFactor(1, 4)
        self.splitter.setSizes([260, 1000])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)

        self.repo_combo.currentTextChanged.connect(self._on_repo_selected)
        self.filter_edit.textChanged.connect(self._on_filter)
        self.tree.activated.connect(self._open_index)
        self.tree.clicked.connect(self._open_index)
        self.view.rangeRequested.connect(self._on_range_requested)
        bridge.reposChanged.connect(self._on_repos)
        bridge.filesListed.connect(self._on_files)

    def current_repo(self) -> str:
        return self.repo_combo.currentText()

    def file_paths(self) -> list[str]:
        """Paths of the files the tree holds for the current repository."""
        return [f["path"] for f in self._files.get(self.current_repo(), [])]

    @Slot(list)
    def _on_repos(self, repos: list) -> None:
        names = [r["name"] for r in repos]
        if refill_repo_combo(self.repo_combo, names) or (names and not self._files.get(self.current_repo())):
            self._on_repo_selected(self.current_repo())
        elif self.current_repo():
            self._bridge.call("listFiles", self.current_repo())   # a re-index may have added files

    def _on_repo_selected(self, repo: str) -> None:
        self._show_files(repo)   # as last listed, until the bridge answers
        if repo:
            self._bridge.call("listFiles", repo)

    @Slot(str, list)
    def _on_files(self, repo: str, files: list) -> None:
        if self._files.get(repo) == files:
            return
        self._files[repo] = files
        if repo == self.current_repo():
            self._show_files(repo)

    def _show_files(self, repo: str) -> None:
        files = self._files.get(repo, [])
        # A new model per listing: refilling one under a sorting proxy and a view is where Qt's item
        # bookkeeping went wrong (an item lost its text); the old one goes once the view lets go of it.
        old, self.model = self.model, build_tree(files, self)
        self.proxy.setSourceModel(self.model)
        old.deleteLater()
        self.proxy.sort(0)
        if len(files) <= 200:
            self.tree.expandAll()
        self.count_label.setText((f"{len(files)} file" + ("s" if len(files) != 1 else "")) if repo else "")
        self._select_current()

    def _on_filter(self, text: str) -> None:
        self.proxy.setFilterFixedString(text)
        if text:
            self.tree.expandAll()

    def _open_index(self, index) -> None:
        path = index.data(PATH_ROLE)
        if path:
            self.view.show_file(self.current_repo(), path)

    def _on_range_requested(self, repo: str, path: str, _start: int, _end: int) -> None:
        """A citation or a search result opened a file: show its repository's tree with it selected."""
        if repo != self.current_repo() and self.repo_combo.findText(repo) >= 0:
            self.repo_combo.setCurrentText(repo)   # lists its files
        self._select_current(path)

    def _select_current(self, path: str | None = None) -> None:
        shown = self.view.current_path()
        path = path or (shown[1] if shown and shown[0] == self.current_repo() else None)
        if not path:
            return
        matches = self.model.match(self.model.index(0, 0), PATH_ROLE, path, 1,
                                   Qt.MatchFlag.MatchExactly | Qt.MatchFlag.MatchRecursive)
        if matches:
            index = self.proxy.mapFromSource(matches[0])
            if index.isValid():
                self.tree.setCurrentIndex(index)
                self.tree.scrollTo(index)
