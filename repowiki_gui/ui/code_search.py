"""Code search: results as you type (debounced, the newest query wins), filters, Enter opens the source.

The search itself is the hybrid retrieval the chat uses, run by the bridge
(``bridge/code.py``); this panel only asks and shows.  Result text is
repository data: it is escaped before the query's words are marked in it.
"""
from __future__ import annotations

import html
import re
import uuid

from PySide6.QtCore import QModelIndex, QRectF, QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAbstractTextDocumentLayout, QKeyEvent, QPalette, QTextDocument
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QLineEdit, QListWidget, QListWidgetItem, QStyle,
                               QStyledItemDelegate, QStyleOptionViewItem, QVBoxLayout, QWidget)

from .pyside_fixes import emit
from .widgets import refill_repo_combo

DEBOUNCE_MS = 250
RESULT_ROLE = Qt.ItemDataRole.UserRole + 1   # the result dict
HTML_ROLE = Qt.ItemDataRole.UserRole + 2     # its escaped, marked-up rendering
ALL_LANGUAGES = ""


def _escape(text: str) -> str:
    return html.escape(text).replace(" ", "&nbsp;")   # code keeps its spacing


def mark_words(text: str, words: list[str], colour: str) -> str:
    """``text`` escaped for HTML, with every occurrence of ``words`` (any case) in a coloured bold span."""
    if not words:
        return _escape(text)
    pattern = re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)), re.IGNORECASE)
    out, pos = [], 0
    for m in pattern.finditer(text):
        out.append(_escape(text[pos:m.start()]))
        out.append(f'<b style="background-color:{colour}">{_escape(m.group(0))}</b>')
        pos = m.end()
    out.append(_escape(text[pos:]))
    return "".join(out)


def query_words(query: str) -> list[str]:
    """The words of the query that are marked in the results."""
    return sorted({w.lower() for w in re.findall(r"[A-Za-z0-9_]{2,}", query)}, key=lambda w: (-len(w), w))


def result_html(result: dict, words: list[str], colour: str) -> str:
    """A result as rich text: path and lines, its symbol, then its matching lines with their numbers."""
    span = f"{result['start_line']}–{result['end_line']}"
    head = f"<b>{html.escape(result['path'])}</b>:{span}"
    if result.get("symbol"):
        head += f"&nbsp;&nbsp;<i>{html.escape(result['symbol'])}</i>"
    rows = "".join(f"<br><tt>{n}&nbsp;&nbsp;{mark_words(text.strip(), words, colour)}</tt>"
                   for n, text in result.get("lines", []))
    return head + rows


class ResultDelegate(QStyledItemDelegate):
    """Paints HTML_ROLE with QTextDocument (the list's own text drawing knows no rich text)."""

    def _document(self, option: QStyleOptionViewItem, index: QModelIndex) -> QTextDocument:
        doc = QTextDocument()
        doc.setDefaultFont(option.font)
        doc.setHtml(index.data(HTML_ROLE) or "")
        doc.setTextWidth(max(200, option.rect.width()))
        return doc

    def paint(self, painter, option, index) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        style = opt.widget.style() if opt.widget else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        doc = self._document(option, index)
        ctx = QAbstractTextDocumentLayout.PaintContext()
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        ctx.palette.setColor(QPalette.ColorRole.Text, option.palette.color(role))
        painter.save()
        painter.translate(option.rect.topLeft())
        painter.setClipRect(QRectF(0, 0, option.rect.width(), option.rect.height()))
        doc.documentLayout().draw(painter, ctx)
        painter.restore()

    def sizeHint(self, option, index) -> QSize:  # noqa: N802
        doc = self._document(option, index)
        return QSize(int(doc.idealWidth()), int(doc.size().height()) + 4)


class CodeSearchPanel(QWidget):
    """Query box, language and path-prefix filters, ranked results; ``resultActivated`` opens one."""

    resultActivated = Signal(str, str, int, int)   # (repo, path, start_line, end_line)
    resultsShown = Signal(str, int)                # (query, how many results) once they are on screen

    def __init__(self, bridge, parent=None):
        super().__init__(parent)
        self._bridge = bridge
        self._latest: str | None = None   # the request whose answer is wanted; older answers are dropped
        self._latest_query = ""
        self._asked: tuple | None = None  # (repo, query, language, prefix) last asked, so a repeat is not sent
        self._warmed = False
        self.repo_combo = QComboBox(self)
        self.repo_combo.setPlaceholderText(self.tr("No repository indexed yet"))
        self.repo_combo.setToolTip(self.tr("The repository to search"))
        self.query_edit = QLineEdit(self)
        self.query_edit.setPlaceholderText(self.tr("Search code: a name, words, or what it does…"))
        self.query_edit.setClearButtonEnabled(True)
        self.language_combo = QComboBox(self)
        self.language_combo.setToolTip(self.tr("Only files of this language"))
        self.language_combo.addItem(self.tr("All languages"), ALL_LANGUAGES)
        self.prefix_edit = QLineEdit(self)
        self.prefix_edit.setPlaceholderText(self.tr("Path prefix, e.g. src/"))
        self.prefix_edit.setToolTip(self.tr("Only files under this folder"))
        self.prefix_edit.setClearButtonEnabled(True)
        self.results = QListWidget(self)
        self.results.setItemDelegate(ResultDelegate(self.results))
        self.results.setWordWrap(True)
        self.results.setUniformItemSizes(False)
        self.status = QLabel(self.tr("Type to search the code of the repository."), self)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)

        top = QHBoxLayout()
        top.addWidget(self.repo_combo)
        top.addWidget(self.query_edit, 3)
        top.addWidget(self.language_combo)
        top.addWidget(self.prefix_edit, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.results, 1)
        layout.addWidget(self.status)

        self._timer.timeout.connect(self.search_now)
        self.query_edit.textChanged.connect(self._schedule)
        self.prefix_edit.textChanged.connect(self._schedule)
        self.language_combo.currentIndexChanged.connect(self._schedule)
        self.repo_combo.currentTextChanged.connect(self._on_repo_selected)
        self.query_edit.returnPressed.connect(self._on_query_return)
        self.query_edit.installEventFilter(self)
        self.results.itemActivated.connect(self._open_item)
        self.results.itemDoubleClicked.connect(self._open_item)
        bridge.reposChanged.connect(self._on_repos)
        bridge.filesListed.connect(self._on_files)
        bridge.codeSearchDone.connect(self._on_done)
        bridge.codeSearchFailed.connect(self._on_failed)

    # --- state -------------------------------------------------------------------------
    def current_repo(self) -> str:
        return self.repo_combo.currentText()

    def showEvent(self, event) -> None:  # noqa: N802
        """The first time the tab shows, an empty query lets the bridge load the search model ahead."""
        super().showEvent(event)
        if not self._warmed and self.current_repo():
            self._warmed = True
            self._bridge.call("searchCode", "", self.current_repo(), "", "", "")

    def focus_query(self) -> None:
        self.query_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.query_edit.selectAll()

    def result_at(self, row: int) -> dict | None:
        item = self.results.item(row)
        return item.data(RESULT_ROLE) if item is not None else None

    # --- asking ----------------------------------------------------------------------------
    def _schedule(self, *_args) -> None:
        self._timer.start()   # restarts: only a pause in typing sends the query

    def search_now(self) -> None:
        """Send the query now (the debounce timer calls this); an unchanged query is not sent again."""
        self._timer.stop()
        query, repo = self.query_edit.text().strip(), self.current_repo()
        asked = (repo, query, self.language_combo.currentData() or "", self.prefix_edit.text().strip())
        if asked == self._asked:
            return
        self._asked = asked
        if not query or not repo:
            self._latest = None
            self.results.clear()
            self.status.setText(self.tr("Type to search the code of the repository.") if repo
                                else self.tr("Index a repository to search its code."))
            return
        self._latest, self._latest_query = uuid.uuid4().hex, query
        self.status.setText(self.tr("Searching…"))
        self._bridge.call("searchCode", self._latest, *asked)

    def _on_query_return(self) -> None:
        if self._timer.isActive() or self._asked is None or self._asked[1] != self.query_edit.text().strip():
            self.search_now()
        elif self.results.count():
            self._open_item(self.results.currentItem() or self.results.item(0))

    def eventFilter(self, obj, event) -> bool:  # noqa: N802
        """Down in the query box moves into the results."""
        if obj is self.query_edit and isinstance(event, QKeyEvent) and event.type() == QKeyEvent.Type.KeyPress \
                and event.key() == Qt.Key.Key_Down and self.results.count():
            self.results.setFocus()
            if self.results.currentRow() < 0:
                self.results.setCurrentRow(0)
            return True
        return super().eventFilter(obj, event)

    # --- answers ---------------------------------------------------------------------------
    @Slot(str, list)
    def _on_done(self, request_id: str, results: list) -> None:
        if request_id != self._latest:
            return   # an older query's answer: the newest wins
        words = query_words(self._latest_query)
        colour = self.palette().color(QPalette.ColorRole.Highlight)
        colour.setAlpha(90)
        css = f"rgba({colour.red()},{colour.green()},{colour.blue()},0.35)"
        self.results.clear()
        for result in results:
            item = QListWidgetItem()
            item.setData(RESULT_ROLE, result)
            item.setData(HTML_ROLE, result_html(result, words, css))
            item.setToolTip(f"{result['path']}:{result['start_line']}–{result['end_line']}")
            self.results.addItem(item)
        if results:
            self.results.setCurrentRow(0)
        n = len(results)
        self.status.setText(f"{n} result{'s' if n != 1 else ''} — Enter or double-click opens the source"
                            if results else self.tr("No code matches."))
        emit(self.resultsShown, self._latest_query, len(results))

    @Slot(str, str)
    def _on_failed(self, request_id: str, why: str) -> None:
        if request_id == self._latest:
            self.status.setText(why)

    def _open_item(self, item: QListWidgetItem | None) -> None:
        result = item.data(RESULT_ROLE) if item is not None else None
        if result:
            emit(self.resultActivated, self.current_repo(), result["path"], int(result["start_line"]),
                 int(result["end_line"]))

    # --- repositories and their languages ------------------------------------------------------
    @Slot(list)
    def _on_repos(self, repos: list) -> None:
        if refill_repo_combo(self.repo_combo, [r["name"] for r in repos]):
            self._on_repo_selected(self.current_repo())

    def _on_repo_selected(self, repo: str) -> None:
        if repo:
            self._bridge.call("listFiles", repo)   # its languages fill the filter
        self._schedule()

    @Slot(str, list)
    def _on_files(self, repo: str, files: list) -> None:
        if repo != self.current_repo():
            return
        languages = sorted({f["language"] for f in files if f.get("language")})
        current = self.language_combo.currentData()
        if languages == [self.language_combo.itemData(i) for i in range(1, self.language_combo.count())]:
            return
        self.language_combo.blockSignals(True)
        while self.language_combo.count() > 1:
            self.language_combo.removeItem(1)
        for lang in languages:
            self.language_combo.addItem(lang, lang)
        index = self.language_combo.findData(current)
        self.language_combo.setCurrentIndex(max(0, index))
        self.language_combo.blockSignals(False)
