"""The main window: repositories, chat, wiki, tasks; drop a ZIP anywhere to index it."""
from __future__ import annotations

import zipfile
from functools import partial
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QByteArray, QSettings, Qt, Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDragMoveEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import QFileDialog, QLabel, QMainWindow, QMessageBox, QSplitter, QTabWidget, QWidget

from ..core.index.repositories import ARCHIVE_SUFFIXES, default_repo_name
from .pyside_fixes import emit
from ..core.errors import SettingsError
from ..settings import Settings, default_home
from .repo_list import RepoListModel, RepoListPanel
from .settings_dialog import SettingsDialog
from .code_search import CodeSearchPanel
from .source_tree import SourceBrowser
from .tasks_panel import ActivityButton, TaskModel, TasksPanel
from .shortcuts import ShortcutsDialog
from .widgets import about_text, icon, with_keys
from .wiki_view import WikiView

ChatFactory = Callable[[object], QWidget]


def default_chat_factory(bridge, source_view=None) -> QWidget:
    """The chat panel (its citations open in ``source_view``), or a placeholder while it is not part of the build."""
    try:
        from .chat_panel import ChatPanel
    except ImportError:
        label = QLabel("Chat is loading…")
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        return label
    return ChatPanel(bridge, source_view=source_view)


def check_drop(paths: list[Path]) -> tuple[list[Path], list[str]]:
    """Split dropped paths into sources to index (ZIPs, .tar.gz/.tgz, folders) and one reason per refused one."""
    zips, refused = [], []
    for path in paths:
        if path.is_dir():
            zips.append(path)   # read in place by the job, under the same rules as an archive
        elif not path.is_file():
            refused.append(f"{path.name} is not a file or a folder")
        elif not path.name.lower().endswith(ARCHIVE_SUFFIXES):
            refused.append(f"{path.name} is not a .zip, .tar.gz or .tgz file")
        elif path.suffix.lower() == ".zip" and not zipfile.is_zipfile(path):   # the end record only: quick
            refused.append(f"{path.name} is not a valid ZIP archive")
        else:
            zips.append(path)
    return zips, refused


class MainWindow(QMainWindow):
    closed = Signal()   # the user closed the window: the app quits (dialogs may still be open)

    def __init__(self, bridge, settings: QSettings, chat_factory: ChatFactory | None = None,
                 parent: QWidget | None = None, home: Path | None = None):
        super().__init__(parent)
        self.bridge = bridge
        self.settings = settings
        self.home = Path(home) if home is not None else Path(getattr(bridge, "home", None) or default_home())
        self.settings_dialog: SettingsDialog | None = None
        self.setWindowTitle("RepoWiki")
        self.setWindowIcon(icon("repowiki"))
        self.setAcceptDrops(True)
        self._boxes: list[QMessageBox] = []

        self.repo_model = RepoListModel(self)
        self.task_model = TaskModel(self)
        self.repo_panel = RepoListPanel(self.repo_model, self)
        self.tasks_panel = TasksPanel(self.task_model, self)
        # One wide source view for the whole window: citations, wiki source links and search results open in it.
        self.source = SourceBrowser(bridge, self)
        self.code_search = CodeSearchPanel(bridge, self)
        self.chat = chat_factory(bridge) if chat_factory else default_chat_factory(bridge, self.source.view)
        self.wiki = WikiView(bridge, self, source_view=self.source.view, home=self.home)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self.chat, "Chat")
        self.tabs.addTab(self.wiki, "Wiki")
        self.tabs.addTab(self.source, "Source")
        self.tabs.addTab(self.code_search, "Search")
        self.top_splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.top_splitter.setObjectName("top_splitter")
        self.top_splitter.addWidget(self.repo_panel)
        self.top_splitter.addWidget(self.tabs)
        self.top_splitter.setStretchFactor(1, 3)
        self.main_splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.main_splitter.setObjectName("main_splitter")
        self.main_splitter.addWidget(self.top_splitter)
        self.main_splitter.addWidget(self.tasks_panel)
        self.main_splitter.setStretchFactor(0, 3)
        self.setCentralWidget(self.main_splitter)

        self.redis_label = QLabel("Redis: starting…", self)
        self.workers_label = QLabel("Workers: –", self)
        self.statusBar().addPermanentWidget(self.redis_label)
        self.statusBar().addPermanentWidget(self.workers_label)
        self.activity = ActivityButton(self)   # "2 jobs running": folds the tasks panel in and out
        self.statusBar().addPermanentWidget(self.activity)
        self._build_menu()
        self._build_export_menu()
        self._connect_bridge()
        self._connect_reading()
        self.restore_layout()
        self._build_keys_and_help()   # last: it gives keys to every tab and action built above

    # --- building ---------------------------------------------------------------
    def _build_menu(self) -> None:
        menu = self.menuBar().addMenu("&File")
        self.open_action = QAction(icon("open"), "&Open ZIP…", self)
        self.open_action.setShortcut(QKeySequence.StandardKey.Open)
        self.open_action.triggered.connect(self.open_zip_dialog)
        self.settings_action = QAction("&Settings…", self)
        self.settings_action.setShortcut(QKeySequence("Ctrl+,"))
        self.settings_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.settings_action.triggered.connect(self.open_settings)
        self.quit_action = QAction("&Quit", self)
        self.quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.quit_action.triggered.connect(self.close)
        self.generate_wiki_action = QAction("&Generate wiki", self)
        self.generate_wiki_action.setToolTip("Write the wiki of the selected repository")
        self.generate_wiki_action.triggered.connect(self.generate_wiki)
        self.repo_panel.view.addAction(self.generate_wiki_action)   # the list's context menu
        menu.addAction(self.open_action)
        menu.addAction(self.generate_wiki_action)
        menu.addAction(self.settings_action)
        menu.addSeparator()
        menu.addAction(self.quit_action)
        toolbar = self.addToolBar("Main")
        toolbar.setObjectName("main_toolbar")
        toolbar.addAction(self.open_action)

    def _build_export_menu(self) -> None:
        """Export ▸ the Wiki tab's repository as an mkdocs project (a job) or an offline HTML site."""
        menu = self.menuBar().addMenu("&Export")
        self.export_markdown_action = QAction("&Markdown (mkdocs project)…", self)
        self.export_markdown_action.setToolTip("Write the wiki's markdown and mkdocs.yml to a folder")
        self.export_markdown_action.triggered.connect(self.wiki.export)
        self.export_html_action = self.wiki.export_html_action   # enabled while the tab shows a wiki
        self.export_html_action.setText("&HTML site…")
        menu.addAction(self.export_markdown_action)
        menu.addAction(self.export_html_action)

    def _connect_bridge(self) -> None:
        b = self.bridge
        b.reposChanged.connect(self.repo_model.set_repos)
        b.jobsChanged.connect(self.repo_model.set_jobs)
        b.jobsChanged.connect(self.task_model.set_jobs)
        b.statusChanged.connect(self.show_status)
        b.statusChanged.connect(self.tasks_panel.show_status)
        b.servicesReady.connect(self._services_ready)
        # Bound slots, never lambdas: a lambda has no receiver thread, so it would run in the bridge's.
        b.servicesFailed.connect(self._services_failed)
        b.modelProgress.connect(self._model_progress)
        b.errorOccurred.connect(self._error)
        self.repo_panel.removeRequested.connect(lambda name: b.call("removeRepo", name))
        self.repo_panel.reindexRequested.connect(lambda name: b.call("reindexRepo", name))
        self.repo_panel.repoSelected.connect(self.wiki.set_repo)
        if hasattr(self.chat, "wikiPageRequested"):   # the placeholder chat has no citations
            self.chat.wikiPageRequested.connect(self.open_wiki_page)
        if hasattr(self.chat, "openZipRequested"):    # the empty chat's "Open a ZIP…" button
            self.chat.openZipRequested.connect(self.open_zip_dialog)
        self.tasks_panel.cancelRequested.connect(lambda job_id: b.call("cancelJob", job_id))
        self.tasks_panel.retryRequested.connect(lambda job_id: b.call("retryJob", job_id))

    # --- keys and help ----------------------------------------------------------------
    def _build_keys_and_help(self) -> None:
        """Keys for the main actions, a Go menu, and Help ▸ Keyboard shortcuts listing every key (shortcuts.py)."""
        self.generate_wiki_action.setShortcut(QKeySequence("Ctrl+Shift+G"))
        with_keys(self.generate_wiki_action, self.generate_wiki_action.toolTip())
        with_keys(self.open_action, "Open ZIP archives of repositories to index")
        self.ask_action = QAction("&Ask a question", self)
        self.ask_action.setShortcut(QKeySequence("Ctrl+L"))
        self.ask_action.setToolTip("Put the cursor in the chat's question box")
        self.ask_action.triggered.connect(self.focus_question)
        go = self.menuBar().addMenu("&Go")
        go.addAction(self.ask_action)
        go.addSeparator()
        for i in range(min(self.tabs.count(), 9)):
            tab = QAction(f"{self.tabs.tabText(i)} tab", self)
            tab.setShortcut(QKeySequence(f"Ctrl+{i + 1}"))
            tab.triggered.connect(partial(self.tabs.setCurrentWidget, self.tabs.widget(i)))
            go.addAction(tab)
        for text, key, step in (("&Next tab", "Ctrl+PgDown", 1), ("&Previous tab", "Ctrl+PgUp", -1)):
            action = QAction(text, self)
            action.setShortcut(QKeySequence(key))
            action.triggered.connect(partial(self._step_tab, step))
            go.addAction(action)
        help_menu = self.menuBar().addMenu("&Help")
        self.shortcuts_action = QAction("&Keyboard shortcuts", self)
        self.shortcuts_action.setShortcuts([QKeySequence(QKeySequence.StandardKey.HelpContents),
                                            QKeySequence("Ctrl+/")])
        self.shortcuts_action.triggered.connect(self.show_shortcuts)
        self.about_action = QAction("&About RepoWiki", self)
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)
        self.about_action.triggered.connect(self.show_about)
        help_menu.addAction(self.shortcuts_action)
        help_menu.addAction(self.about_action)
        self.shortcuts_dialog: ShortcutsDialog | None = None

    def focus_question(self) -> None:
        """Show the chat with the cursor in its question box."""
        self.tabs.setCurrentWidget(self.chat)
        box = getattr(self.chat, "question", None) or self.chat   # the placeholder chat has no box
        box.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def _step_tab(self, step: int) -> None:
        self.tabs.setCurrentIndex((self.tabs.currentIndex() + step) % self.tabs.count())

    def show_shortcuts(self) -> ShortcutsDialog:
        """Help ▸ Keyboard shortcuts, read afresh from the window's actions each time it opens."""
        if self.shortcuts_dialog is None:
            self.shortcuts_dialog = ShortcutsDialog(self)
            self.shortcuts_dialog.finished.connect(self._shortcuts_closed)
        self.shortcuts_dialog.open()
        return self.shortcuts_dialog

    @Slot(int)
    def _shortcuts_closed(self, _result: int) -> None:
        dialog, self.shortcuts_dialog = self.shortcuts_dialog, None
        if dialog is not None:
            dialog.deleteLater()

    def show_about(self) -> QMessageBox:
        return self.show_message("About RepoWiki", about_text(), QMessageBox.Icon.Information)

    # --- room to read: the source tab, code search, the folding tasks panel ---------------
    def _connect_reading(self) -> None:
        self.source.view.rangeRequested.connect(self._show_source)
        self.code_search.resultActivated.connect(self._open_search_result)
        self.bridge.jobsChanged.connect(self.activity.set_jobs)
        self.activity.toggled.connect(self.set_tasks_visible)
        self.activity.jobFailed.connect(self._job_failed)
        view = self.menuBar().addMenu("&View")
        self.tasks_action = QAction("&Tasks panel", self)
        self.tasks_action.setCheckable(True)
        self.tasks_action.setShortcut(QKeySequence("Ctrl+J"))
        self.tasks_action.setToolTip("Show or hide the jobs with their progress")
        self.tasks_action.toggled.connect(self.set_tasks_visible)
        self.search_action = QAction("&Search code", self)
        self.search_action.setShortcut(QKeySequence("Ctrl+Shift+F"))
        self.search_action.setToolTip("Search the repository's code as you type")
        self.search_action.triggered.connect(self.focus_code_search)
        view.addAction(self.tasks_action)
        view.addAction(self.search_action)

    def set_tasks_visible(self, visible: bool) -> None:
        """Unfold or fold the tasks panel; the status bar button and View ▸ Tasks panel follow."""
        visible = bool(visible)
        for toggle in (self.activity, self.tasks_action):
            toggle.blockSignals(True)
            toggle.setChecked(visible)
            toggle.blockSignals(False)
        if visible == self.tasks_panel.isVisibleTo(self):
            return
        self.tasks_panel.setVisible(visible)
        sizes = self.main_splitter.sizes()
        if visible and sizes[1] < 80:   # folded at its last save: give it back a usable height
            total = sum(sizes) or 800
            self.main_splitter.setSizes([max(200, total - 240), 240])

    def tasks_visible(self) -> bool:
        return self.tasks_panel.isVisibleTo(self)

    @Slot(str, str)
    def _job_failed(self, job_id: str, error: str) -> None:
        """A job failed: unfold the tasks panel with that job selected, and say so in the status bar."""
        self.set_tasks_visible(True)
        rows = self.task_model.rows()
        for i, row in enumerate(rows):
            if row["id"] == job_id:
                self.tasks_panel.view.selectRow(i)
                break
        self.statusBar().showMessage(f"A job failed: {error}" if error else "A job failed", 10000)

    @Slot(str, str, int, int)
    def _show_source(self, _repo: str, _path: str, _start: int, _end: int) -> None:
        self.tabs.setCurrentWidget(self.source)

    @Slot(str, str, int, int)
    def _open_search_result(self, repo: str, path: str, start: int, end: int) -> None:
        self.source.view.show_range(repo, path, start, end)

    def focus_code_search(self) -> None:
        """Show the Search tab with the cursor in its query box."""
        self.tabs.setCurrentWidget(self.code_search)
        self.code_search.focus_query()

    # --- wiki ---------------------------------------------------------------------
    def generate_wiki(self) -> None:
        """Generate the wiki of the repository selected in the list (else the Wiki tab's one)."""
        name = self.repo_panel.selected_name()
        if name:
            self.wiki.set_repo(name)
        self.tabs.setCurrentWidget(self.wiki)
        self.wiki.generate()

    @Slot(str, str, int)
    def open_wiki_page(self, repo: str, page: str, line: int) -> None:
        """Show a wiki page (a chat citation of the wiki) in the Wiki tab."""
        self.tabs.setCurrentWidget(self.wiki)
        self.wiki.open_page(repo, page, line)

    # --- status -------------------------------------------------------------------
    @Slot(dict)
    def _services_ready(self, status: dict) -> None:
        self.statusBar().showMessage("Services started: drop a ZIP to index it", 5000)
        self.show_status(status)

    @Slot(int, int, str)
    def _model_progress(self, done: int, total: int, message: str) -> None:
        """The first start assembles the bundled model (a few seconds): say so in the status bar."""
        pct = 100 * done // total if total else 100
        self.statusBar().showMessage(f"{message}: {pct}%" if pct < 100 else f"{message}: done", 5000)

    @Slot(str)
    def _services_failed(self, text: str) -> None:
        self.redis_label.setText("Redis: not running")
        self.show_message("The services could not start", text, QMessageBox.Icon.Critical)

    @Slot(str)
    def _error(self, text: str) -> None:
        self.statusBar().showMessage(text, 10000)
        self.show_message("RepoWiki", text)

    @Slot(dict)
    def show_status(self, info: dict) -> None:
        redis = info.get("redis") or {}
        if redis.get("running"):
            self.redis_label.setText(f"Redis: running {redis.get('version') or ''}".rstrip())
        else:
            self.redis_label.setText(f"Redis: down ({redis.get('error') or 'not running'})")
        workers = info.get("workers")
        if workers is not None:
            busy = sum(1 for w in workers if w.get("current_job"))
            self.workers_label.setText(f"Workers: {len(workers)} ({busy} busy)" if workers else "Workers: none")

    def show_message(self, title: str, text: str, icon_kind=QMessageBox.Icon.Warning) -> QMessageBox:
        """A non-blocking message box (open(), never exec())."""
        box = QMessageBox(icon_kind, title, text, QMessageBox.StandardButton.Ok, self)
        box.setTextFormat(Qt.TextFormat.PlainText)   # error text may quote file names: never HTML
        box.finished.connect(lambda _r: self._boxes.remove(box) if box in self._boxes else None)
        self._boxes.append(box)
        box.open()
        return box

    # --- ZIPs -----------------------------------------------------------------------
    def queue_zips(self, paths: list[Path]) -> bool:
        """Index every source (ZIP, .tar.gz, folder); refuse the whole lot, visibly, if any path is none of them."""
        zips, refused = check_drop(paths)
        if refused or not zips:
            text = ("Only ZIP and .tar.gz archives and folders can be indexed: "
                    + "; ".join(refused or ["nothing to index"]) + ".")
            self.statusBar().showMessage(text, 10000)
            self.show_message("Cannot index that", text)
            return False
        for path in zips:
            self.bridge.call("indexZip", str(path), default_repo_name(path))
        self.statusBar().showMessage(f"Queued {', '.join(p.name for p in zips)} for indexing", 5000)
        return True

    def open_zip_dialog(self) -> None:
        dialog = QFileDialog(self, "Open ZIP", str(Path.home()), "Repository archives (*.zip *.tar.gz *.tgz);;All files (*)")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.filesSelected.connect(lambda files: self.queue_zips([Path(f) for f in files]))
        dialog.open()

    @staticmethod
    def _local_files(event) -> list[Path]:
        mime = event.mimeData()
        if not mime.hasUrls():
            return []
        return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._local_files(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if self._local_files(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = self._local_files(event)
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        self.queue_zips(paths)

    # --- settings ---------------------------------------------------------------------
    def open_settings(self) -> None:
        """The Settings dialog, non-modal; OK saves settings.json and restarts the services."""
        if self.settings_dialog is not None:
            self.settings_dialog.raise_()
            self.settings_dialog.activateWindow()
            return
        try:
            current = Settings.load(self.home)
        except SettingsError as exc:
            self.show_message("Settings", str(exc))
            return
        dialog = SettingsDialog(current, self.home, self)
        dialog.finished.connect(self._settings_closed)
        self.settings_dialog = dialog
        dialog.open()

    @Slot(int)
    def _settings_closed(self, result: int) -> None:
        dialog, self.settings_dialog = self.settings_dialog, None
        if dialog is None:
            return
        dialog.deleteLater()
        if result != SettingsDialog.DialogCode.Accepted:
            return
        new = dialog.result_settings()
        try:
            new.save(self.home)
        except OSError as exc:
            self.show_message("Settings", f"The settings could not be saved: {exc}.", QMessageBox.Icon.Critical)
            return
        self.redis_label.setText("Redis: restarting…")
        self.statusBar().showMessage("Settings saved: restarting the services", 5000)
        self.bridge.call("applySettings", new.to_json())

    # --- layout memory -------------------------------------------------------------
    def restore_layout(self) -> None:
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)
        self.top_splitter.setSizes([280, 1000])
        self.main_splitter.setSizes([560, 240])
        for splitter in self._splitters():
            state = self.settings.value(f"window/{splitter.objectName()}")
            if isinstance(state, QByteArray) and not state.isEmpty():
                splitter.restoreState(state)
        tab = str(self.settings.value("window/tab", ""))
        if tab.isdigit() and int(tab) < self.tabs.count():
            self.tabs.setCurrentIndex(int(tab))
        # Folded unless it was open at the last close: the jobs are one click away in the status bar.
        self.set_tasks_visible(str(self.settings.value("window/tasks_visible", "false")).lower() == "true")

    def _splitters(self) -> list[QSplitter]:
        """The splitters whose sizes are remembered (each by its object name)."""
        return [self.top_splitter, self.main_splitter, self.source.splitter]

    def save_layout(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        for splitter in self._splitters():
            self.settings.setValue(f"window/{splitter.objectName()}", splitter.saveState())
        self.settings.setValue("window/tab", self.tabs.currentIndex())
        self.settings.setValue("window/tasks_visible", "true" if self.tasks_visible() else "false")
        self.settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_layout()
        super().closeEvent(event)
        emit(self.closed)
