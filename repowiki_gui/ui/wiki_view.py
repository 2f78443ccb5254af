"""The Wiki tab: a repository's generated pages as a tree, the page rendered, its links followed.

Pages are read and rendered to HTML in the bridge's thread (``loadWikiPage``,
core/wiki/html.py); this widget shows the finished document in a
QWebEngineView, where Mermaid's own renderer draws the diagrams
(resources/web/).  Links are never followed by the web view itself: a link to
``sources/<path>.md#L<a>-L<b>`` opens the source view at those lines, a link to
another page loads that page, and nothing else is opened (the page shows an
external address as text; the view's profile loads no remote URL).
"""
from __future__ import annotations

import json
import posixpath
from functools import partial
from html import escape as html_escape
from pathlib import Path

from PySide6.QtCore import (QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt, QTemporaryDir, QTimer,
                            QUrl, Signal)
from PySide6.QtGui import QAction, QPalette
from PySide6.QtWebEngineCore import QWebEngineLoadingInfo, QWebEnginePage
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import (QComboBox, QFileDialog, QHBoxLayout, QLabel, QMenu, QPushButton, QSplitter,
                               QStackedWidget, QToolButton, QTreeView, QVBoxLayout, QWidget)

from ..core.wiki.folder import SPEC_TYPES, page_link_target, source_link_target
from ..core.wiki.html import web_assets
from . import web_engine
from .pyside_fixes import emit, no_data
from .source_view import SourceView
from .widgets import refill_repo_combo

PAGE_ROLE = Qt.ItemDataRole.UserRole + 3   # the docs page path of a tree item; None for a group
_TOP = 0                                   # internalId of top-level items; a child's is its group's row + 1


class WikiPageModel(QAbstractItemModel):
    """The manifest's pages in order; pages of one "group" sit under a node named after it."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._top: list[dict] = []   # {"title", "path" (None for a group), "children": [page dicts]}

    def set_pages(self, pages: list[dict]) -> None:
        """Replace the tree with the manifest's ``pages`` ({"path", "title", "group"})."""
        top: list[dict] = []
        groups: dict[str, dict] = {}
        for page in pages:
            path = page.get("path")
            if not isinstance(path, str) or not path:
                continue
            item = {"title": page.get("title") or path, "path": path, "children": []}
            group = page.get("group") or ""
            if not group:
                top.append(item)
                continue
            if group not in groups:
                groups[group] = {"title": group, "path": None, "children": []}
                top.append(groups[group])
            groups[group]["children"].append(item)
        self.beginResetModel()
        self._top = top
        self.endResetModel()

    def pages(self) -> list[str]:
        """Every page path, in tree order."""
        out = []
        for item in self._top:
            out += [item["path"]] if item["path"] else [c["path"] for c in item["children"]]
        return out

    def index_of(self, path: str) -> QModelIndex:
        """The index of page ``path``, or an invalid index."""
        for row, item in enumerate(self._top):
            if item["path"] == path:
                return self.index(row, 0)
            for child_row, child in enumerate(item["children"]):
                if child["path"] == path:
                    return self.index(child_row, 0, self.index(row, 0))
        return QModelIndex()

    def _item(self, index: QModelIndex | QPersistentModelIndex) -> dict | None:
        if not index.isValid():
            return None
        if index.internalId() == _TOP:
            return self._top[index.row()] if index.row() < len(self._top) else None
        group = self._top[index.internalId() - 1]
        return group["children"][index.row()] if index.row() < len(group["children"]) else None

    # --- Qt -----------------------------------------------------------------------
    def index(self, row: int, column: int, parent: QModelIndex | QPersistentModelIndex = QModelIndex()):
        if not self.hasIndex(row, column, parent):
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, column, _TOP)
        return self.createIndex(row, column, parent.row() + 1)

    def parent(self, index=None):  # noqa: D401 -- Qt's overload: parent() is QObject.parent
        if index is None:
            return super().parent()
        if not index.isValid() or index.internalId() == _TOP:
            return QModelIndex()
        return self.createIndex(index.internalId() - 1, 0, _TOP)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802
        if not parent.isValid():
            return len(self._top)
        if parent.column() != 0 or parent.internalId() != _TOP:
            return 0
        return len(self._top[parent.row()]["children"])

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 1

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        item = self._item(index)
        if item is None:
            return no_data()
        if role == Qt.ItemDataRole.DisplayRole:
            return item["title"]
        if role == Qt.ItemDataRole.ToolTipRole:
            return item["path"] or no_data()
        if role == PAGE_ROLE:
            return item["path"] or no_data()
        return no_data()

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        item = self._item(index)
        if item is None:
            return Qt.ItemFlag.NoItemFlags
        if item["path"] is None:
            return Qt.ItemFlag.ItemIsEnabled
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if section == 0 and orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return "Page"
        return no_data()


class WikiPage(QWebEnginePage):
    """A page that follows no link itself: every navigation away from the loaded page becomes ``linkClicked``."""

    linkClicked = Signal(QUrl)

    def __init__(self, profile, parent=None):
        super().__init__(profile, parent)
        self._loading: QUrl | None = None   # the document being set: the one navigation let through

    def expect(self, url: QUrl) -> None:
        self._loading = QUrl(url)

    def expected(self) -> QUrl | None:
        """The URL of the document last set."""
        return self._loading

    def acceptNavigationRequest(self, url: QUrl, kind, is_main_frame: bool) -> bool:  # noqa: N802 -- Qt's name
        if self._loading is not None and url.toString().split("#")[0] == self._loading.toString().split("#")[0] \
                and kind != QWebEnginePage.NavigationType.NavigationTypeLinkClicked:
            return True
        if url.scheme() == "data" and kind != QWebEnginePage.NavigationType.NavigationTypeLinkClicked:
            return True   # setHtml's own document
        if is_main_frame:   # later: loading another page from inside this call crashes Chromium
            QTimer.singleShot(0, partial(emit, self.linkClicked, QUrl(url)))
        return False

    def javaScriptConsoleMessage(self, level, message: str, line: int, source: str) -> None:  # noqa: N802
        pass   # a page's console is no message for the user; diagram failures show on the page itself

    def createWindow(self, kind):  # noqa: N802 -- no pop-ups
        return None


class WikiBrowser(QWebEngineView):
    """The rendered page (QtWebEngine: Mermaid draws its diagrams); links are the view's to follow.

    Pages are set with ``show_html`` under a base URL in a private temporary folder, so relative links
    resolve to ``<base>/<page>``; ``href_of`` turns a clicked URL back into the href as written,
    relative to the page on screen.  Pages over setHtml's 2 MB limit are written there and loaded.
    """

    _INLINE_LIMIT = 1_500_000   # bytes of HTML: setHtml takes up to 2 MB once percent-encoded
    documentShown = Signal(str)  # the docs page whose document finished loading (not an earlier one)
    _RETRIES = 3
    _RENICE_AGAIN_MS = 1000

    def __init__(self, parent=None):
        super().__init__(parent)
        self._dir = QTemporaryDir()
        self._docs = Path(self._dir.path()) / "docs"
        self._docs.mkdir(parents=True, exist_ok=True)
        self._profile, self._interceptor = web_engine.local_profile([web_assets(), self._docs])
        self.wiki_page = WikiPage(self._profile, self)
        self._profile.setParent(self.wiki_page)
        self.setPage(self.wiki_page)
        web_engine.delete_at_exit(self)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
        self._renice_again = QTimer(self)   # a child: it dies with the view
        self._renice_again.setSingleShot(True)
        self._renice_again.setInterval(self._RENICE_AGAIN_MS)
        self._renice_again.timeout.connect(self._renice)
        self.loadFinished.connect(self._lower_renderer_priority)
        self.wiki_page.loadingChanged.connect(self._on_loading)
        self._page = ""
        self._html: str | None = None   # the document last set, to set again when its load is aborted
        self._retries = 0
        self._started = ""              # the URL of the load that started last

    def _on_loading(self, info) -> None:
        expected = self.wiki_page.expected()
        ours = expected is not None and info.url().toString().split("#")[0] == expected.toString().split("#")[0]
        status, url = info.status(), info.url().toString()
        if status == QWebEngineLoadingInfo.LoadStatus.LoadStartedStatus:
            self._started = url
        elif status == QWebEngineLoadingInfo.LoadStatus.LoadSucceededStatus and ours:
            emit(self.documentShown, self._page)
        elif status == QWebEngineLoadingInfo.LoadStatus.LoadFailedStatus and url == self._started \
                and (ours or info.url().scheme() == "data") and self._retries < self._RETRIES \
                and self._html is not None:   # the latest load failed, not one it replaced
            # A document set right after a refused link navigation is sometimes aborted by the end of that
            # navigation: set it again (later, outside this signal).
            self._retries += 1
            QTimer.singleShot(0, self._show_again)

    def _show_again(self) -> None:
        if self._html is not None:
            self._set(self._page, self._html)

    def _lower_renderer_priority(self, _ok: bool = True) -> None:
        web_engine.lower_priority(self.wiki_page.renderProcessPid())
        self._renice_again.start()   # Chromium raises threads again once the page is painted: look once more

    def _renice(self) -> None:
        web_engine.lower_priority(self.wiki_page.renderProcessPid())

    def base_url(self, page: str) -> QUrl:
        return QUrl.fromLocalFile(str(self._docs / page))

    def show_html(self, page: str, html: str) -> None:
        """Show ``html`` as the document of docs page ``page``."""
        self._retries = 0
        self._set(page, html)

    def _set(self, page: str, html: str) -> None:
        self._page, self._html = page, html
        self.wiki_page.setBackgroundColor(self.palette().color(QPalette.ColorRole.Base))
        if len(html) * 3 > self._INLINE_LIMIT:   # utf-8 and percent-encoding: up to 3 bytes a character
            target = self._docs / f"{page}.html"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(html, encoding="utf-8")
            url = QUrl.fromLocalFile(str(target))
            self.wiki_page.expect(url)
            self.load(url)
        else:
            url = self.base_url(page)
            self.wiki_page.expect(url)
            self.setHtml(html, url)

    def show_text(self, page: str, text: str) -> None:
        """A plain message instead of a page (the text is escaped, never markup)."""
        self.show_html(page, f'<!DOCTYPE html><html><body><p>{html_escape(text)}</p></body></html>')

    def href_of(self, url: QUrl) -> str | None:
        """The href (relative to the page on screen) that ``url`` was resolved from; None when not in the wiki."""
        if not url.isLocalFile():
            return None
        path = Path(url.toLocalFile())
        try:
            rel = path.relative_to(self._docs).as_posix()
        except ValueError:
            return None
        if rel.endswith(".md.html"):
            rel = rel[:-5]
        href = posixpath.relpath(rel, posixpath.dirname(self._page) or ".")
        fragment = url.fragment(QUrl.ComponentFormattingOption.FullyDecoded)
        return href + (f"#{fragment}" if fragment else "")

    def scroll_to(self, where: str | int) -> None:
        """Scroll to anchor ``where``, or to the section holding line ``where`` of the page's Markdown.

        Waits for the diagrams, if any (they change the page's height), before it scrolls.
        """
        if isinstance(where, int) and where > 0:
            find = ("var best = null; document.querySelectorAll('[data-line]').forEach(function (h) {"
                    f" if (+h.getAttribute('data-line') <= {int(where)}) best = h; }});")
        elif isinstance(where, str) and where:
            find = f"var best = document.getElementById({json.dumps(where)});"
        else:
            return
        self.page().runJavaScript(
            "(function () { function go() { " + find + " if (best) best.scrollIntoView(); }"
            " if (!document.querySelector('div.diagram')"
            " || document.documentElement.getAttribute('data-diagrams') === 'done') go();"
            " else document.addEventListener('repowiki-diagrams-done', go); })();")


class WikiView(QWidget):
    """Repository chooser, Generate/Export, the page tree, the rendered page and (by default) a SourceView.

    Talks to the services only through ``bridge``: its signals and ``bridge.call``.
    """

    sourceRequested = Signal(str, str, int, int)   # (repo, path, start_line, end_line): a source link clicked
    pageShown = Signal(str, str)                   # (repo, page) once the page is on screen

    def __init__(self, bridge, parent=None, source_view: SourceView | None = None, home: Path | None = None):
        super().__init__(parent)
        self._bridge = bridge
        self._home = Path(home) if home is not None else Path.home()
        self._manifest: dict = {}
        self._page = ""                                # the page on screen
        self._loading: tuple[str, str, str | int] | None = None   # (repo, page, fragment or line) asked for
        self._wanted: tuple[str, str, str | int] | None = None    # (repo, page, where) to open once loaded
        self._manifest_pending = False                            # loadWiki asked, wikiLoaded not yet here
        self._shown: tuple[str, str, str | int] | None = None     # the page being set: scrolled once loaded
        self._on_screen = ""                                      # the page the web view finished loading

        self.repo_combo = QComboBox(self)
        self.repo_combo.setPlaceholderText(self.tr("No repository indexed yet"))
        self.generate_button = QToolButton(self)
        self.generate_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        self.generate_action = QAction(self.tr("Generate wiki"), self)
        self.generate_action.setToolTip(self.tr("Write every page type; progress shows in Tasks"))
        self.generate_action.triggered.connect(lambda: self.generate())
        self.generate_button.setDefaultAction(self.generate_action)
        menu = QMenu(self.generate_button)
        for spec in SPEC_TYPES.values():
            action = menu.addAction(self.tr("Only %1").replace("%1", spec.title))
            action.triggered.connect(lambda _checked=False, sid=spec.id: self.generate([sid]))
        self.generate_button.setMenu(menu)
        self.export_button = QPushButton(self.tr("Export…"), self)
        self.export_button.setToolTip(self.tr("Write the wiki's markdown (an mkdocs project) to a folder; "
                                              "progress shows in Tasks"))
        self.export_html_action = QAction(self.tr("HTML site…"), self)
        self.export_html_action.setToolTip(self.tr("Write the wiki as an offline web site (pages, search, "
                                                   "diagrams) to a folder"))
        self.export_html_action.triggered.connect(lambda: self.export_html())
        self.status = QLabel("", self)
        self.status.setTextFormat(Qt.TextFormat.PlainText)

        self.model = WikiPageModel(self)
        self.tree = QTreeView(self)
        self.tree.setModel(self.model)
        self.tree.setHeaderHidden(True)
        self.browser = WikiBrowser(self)
        self.source_view = source_view if source_view is not None else SourceView(bridge, self)
        self._layout(owns_source=source_view is None)

        self.repo_combo.currentTextChanged.connect(self._on_repo_selected)
        self.export_button.clicked.connect(self.export)
        self.empty_button.clicked.connect(lambda: self.generate())
        self.tree.selectionModel().currentChanged.connect(self._on_tree_current)
        self.browser.wiki_page.linkClicked.connect(self._on_link_clicked)
        self.browser.documentShown.connect(self._on_document_shown)
        bridge.reposChanged.connect(self._on_repos)
        bridge.wikiLoaded.connect(self._on_wiki_loaded)
        bridge.wikiPageLoaded.connect(self._on_page_loaded)
        bridge.wikiPageFailed.connect(self._on_page_failed)
        bridge.wikiChanged.connect(self._on_wiki_changed)
        bridge.wikiExported.connect(self._on_exported)
        self._update_buttons()

    def _layout(self, owns_source: bool) -> None:
        bar = QHBoxLayout()
        bar.addWidget(QLabel(self.tr("Repository"), self))
        bar.addWidget(self.repo_combo, 1)
        bar.addWidget(self.generate_button)
        bar.addWidget(self.export_button)
        self.export_html_button = QToolButton(self)
        self.export_html_button.setDefaultAction(self.export_html_action)
        bar.addWidget(self.export_html_button)
        self.empty_label = QLabel(self.tr("No wiki yet — Generate wiki"), self)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_button = QPushButton(self.tr("Generate wiki"), self)
        empty = QWidget(self)
        empty_layout = QVBoxLayout(empty)
        empty_layout.addStretch(1)
        empty_layout.addWidget(self.empty_label)
        empty_layout.addWidget(self.empty_button, 0, Qt.AlignmentFlag.AlignHCenter)
        empty_layout.addStretch(1)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("wikiSplitter")
        self.splitter.addWidget(self.tree)
        self.splitter.addWidget(self.browser)
        if owns_source:
            self.splitter.addWidget(self.source_view)
            self.source_view.hide()   # until a source link is followed
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setStretchFactor(2, 2)
        self.splitter.setSizes([240, 720, 480][:self.splitter.count()])   # the page gets room before any is shown
        self.stack = QStackedWidget(self)
        self.stack.addWidget(empty)
        self.stack.addWidget(self.splitter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.status)

    # --- state ---------------------------------------------------------------------
    def current_repo(self) -> str:
        """The selected repository name, or ""."""
        return self.repo_combo.currentText()

    def current_page(self) -> str:
        """The docs page on screen ("" when none)."""
        return self._page

    def has_wiki(self) -> bool:
        """Whether the selected repository has a generated wiki (its manifest is loaded)."""
        return bool(self._manifest)

    def _update_buttons(self) -> None:
        repo = bool(self.current_repo())
        self.generate_action.setEnabled(repo)
        self.generate_button.setEnabled(repo)
        self.empty_button.setEnabled(repo)
        self.export_button.setEnabled(repo)   # with no wiki yet the export job writes one first
        self.export_html_action.setEnabled(repo and self.has_wiki())   # the site is made of the wiki on disk
        self.stack.setCurrentIndex(1 if self.has_wiki() else 0)
        if not repo:
            self.empty_label.setText(self.tr("No repository indexed yet: drop a ZIP to index it"))
        elif self._manifest_pending and not self.has_wiki():
            self.empty_label.setText(self.tr("Loading the wiki of %1…").replace("%1", self.current_repo()))
        elif not self.has_wiki():
            self.empty_label.setText(self.tr("No wiki yet — Generate wiki"))

    # --- repositories ----------------------------------------------------------------
    def _on_repos(self, repos: list) -> None:
        if refill_repo_combo(self.repo_combo, [r["name"] for r in repos]):
            self._on_repo_selected(self.current_repo())
        self._update_buttons()

    def set_repo(self, repo: str) -> None:
        """Show the wiki of ``repo`` (when it is in the list)."""
        index = self.repo_combo.findText(repo)
        if index >= 0:
            self.repo_combo.setCurrentIndex(index)

    def _on_repo_selected(self, repo: str) -> None:
        self._manifest, self._page, self._loading = {}, "", None
        self.model.set_pages([])
        self.browser.show_html("", "")
        self.status.clear()
        if repo:
            self._load_wiki(repo)
        self._update_buttons()

    def _load_wiki(self, repo: str) -> None:
        self._manifest_pending = True
        self._bridge.call("loadWiki", repo)

    def _on_wiki_changed(self, repo: str) -> None:
        if repo == self.current_repo():
            self._load_wiki(repo)

    def _on_wiki_loaded(self, repo: str, manifest: dict) -> None:
        if repo != self.current_repo():
            return
        self._manifest_pending = False
        self._manifest = dict(manifest or {})
        self.model.set_pages(self._manifest.get("pages") or [])
        self.tree.expandAll()
        pages = self.model.pages()
        wanted, self._wanted = self._wanted, None
        if not pages:
            self._manifest, self._page = {}, ""
        elif wanted and wanted[0] == repo and wanted[1] in pages:
            self._request(wanted[1], wanted[2])
        else:   # keep the page on screen across a reload when it still exists
            page = self._page if self._page in pages else ("index.md" if "index.md" in pages else pages[0])
            self._request(page, "")
        generated = self._manifest.get("generated_at")
        self.status.setText(self.tr("Generated %1 by %2").replace("%1", str(generated))
                            .replace("%2", str(self._manifest.get("model") or "?")) if generated else "")
        self._update_buttons()

    # --- pages ---------------------------------------------------------------------------
    def open_page(self, repo: str, page: str, where: str | int = "") -> None:
        """Show ``page`` of ``repo``; ``where`` is an anchor name or a line of the page's markdown."""
        if repo != self.current_repo():
            self._wanted = (repo, page, where)
            self.set_repo(repo)   # its wikiLoaded opens the wanted page
        elif page == self._page and self._loading is None:
            self._scroll(where)
            self._select(page)
        elif self.has_wiki():
            self._request(page, where)
        else:
            self._wanted = (repo, page, where)

    def _request(self, page: str, where: str | int) -> None:
        self._loading = (self.current_repo(), page, where)
        self._bridge.call("loadWikiPage", self.current_repo(), page)   # read and rendered in the bridge thread

    def _on_page_loaded(self, repo: str, page: str, html: str) -> None:
        if self._loading is None or self._loading[:2] != (repo, page):
            return
        self._on_screen = ""
        self._shown = self._loading
        self._loading = None
        self.browser.show_html(page, self._themed(html))
        self._page = page
        self._select(page)

    def _themed(self, html: str) -> str:
        """The page in the window palette's colours (the renderer leaves the choice to the browser)."""
        dark = self.palette().color(QPalette.ColorRole.Base).lightness() < 128
        return html.replace('<html class="auto">', f'<html class="{"dark" if dark else "light"}">', 1)

    def _on_document_shown(self, page: str) -> None:
        if self._shown is None or self._shown[1] != page:   # an earlier page's load, ended late
            return
        shown, self._shown = self._shown, None
        repo, page, where = shown
        self._on_screen = page
        self._scroll(where)
        emit(self.pageShown, repo, page)

    def page_on_screen(self) -> str:
        """The docs page the web view has finished loading ("" before the first)."""
        return self._on_screen

    def _on_page_failed(self, repo: str, page: str, why: str) -> None:
        if self._loading is None or self._loading[:2] != (repo, page):
            return
        self._loading = None
        self._page = page
        self.browser.show_text(page, why)   # the reason is text, never markup

    def _scroll(self, where: str | int) -> None:
        self.browser.scroll_to(where)

    def _select(self, page: str) -> None:
        index = self.model.index_of(page)
        if index.isValid() and index != self.tree.currentIndex():
            self.tree.selectionModel().blockSignals(True)   # showing a page is not the user choosing one
            self.tree.setCurrentIndex(index)
            self.tree.selectionModel().blockSignals(False)
            self.tree.viewport().update()

    def _on_tree_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        page = current.data(PAGE_ROLE)
        if page and page != self._page:
            self._request(page, "")

    def _on_link_clicked(self, url: QUrl) -> None:
        href = self.browser.href_of(url)
        if href is None:   # not a page of this wiki: never opened
            self.status.setText(self.tr("Not opened: %1 is outside the wiki").replace("%1", url.toString()))
            return
        self.follow_link(href)

    def follow_link(self, url: QUrl | str) -> None:
        """A source link opens the source view, a page link that page; any other link is not opened."""
        href = url.toString() if isinstance(url, QUrl) else url
        repo = self.current_repo()
        source = source_link_target(self._page, href)
        if source is not None:
            path, start, end = source
            self.source_view.show()
            self.source_view.show_range(repo, path, start, end)
            emit(self.sourceRequested, repo, path, start, end)
            return
        target = page_link_target(self._page, href)
        if target is not None:
            self.open_page(repo, *target)

    # --- actions -------------------------------------------------------------------------
    def generate(self, spec_ids: list[str] | None = None) -> None:
        """Queue the wiki job for the selected repository (every page type unless told)."""
        repo = self.current_repo()
        if not repo:
            return
        self._bridge.call("generateWiki", repo, list(spec_ids or SPEC_TYPES))
        self.status.setText(self.tr("Writing the wiki of %1: progress shows in Tasks").replace("%1", repo))

    def export(self) -> None:
        """Ask for a folder and queue an export of the selected repository's wiki to it."""
        repo = self.current_repo()
        if not repo:
            return
        folder = QFileDialog.getExistingDirectory(self, self.tr("Export the wiki of %1 to").replace("%1", repo),
                                                  str(self._home))
        if folder:
            self._bridge.call("exportWiki", repo, folder)
            self.status.setText(self.tr("Exporting the wiki of %1 to %2: progress shows in Tasks")
                                .replace("%1", repo).replace("%2", folder))

    def _on_exported(self, repo: str, folder: str) -> None:
        self.status.setText(self.tr("The HTML site of %1 is in %2 (open index.html)").replace("%1", repo)
                            .replace("%2", folder))

    def export_html(self) -> None:
        """Ask for a folder and write the selected repository's wiki there as an offline HTML site."""
        repo = self.current_repo()
        if not repo or not self.has_wiki():
            return
        folder = QFileDialog.getExistingDirectory(self, self.tr("Write the HTML site of %1 to").replace("%1", repo),
                                                  str(self._home))
        if folder:
            self._bridge.call("exportWikiHtml", repo, folder)
            self.status.setText(self.tr("Writing the HTML site of %1 to %2…").replace("%1", repo)
                                .replace("%2", folder))
