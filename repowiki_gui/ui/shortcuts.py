"""Help ▸ Keyboard shortcuts: a table read from the window's own actions when it opens, so it cannot drift.

Every QAction, QShortcut and button below the window that has a key sequence
is listed: the text a menu shows (or a QShortcut's ``whatsThis``), its keys in
the platform's notation, and where it works when that is not the whole window.
"""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (QAbstractButton, QDialog, QDialogButtonBox, QDockWidget, QHeaderView, QStackedWidget,
                               QTableWidget, QTableWidgetItem, QTabWidget, QVBoxLayout, QWidget)

_WIDE = (Qt.ShortcutContext.WindowShortcut, Qt.ShortcutContext.ApplicationShortcut)


@dataclass(frozen=True)
class ShortcutRow:
    what: str                      # "Open ZIP", as the menu says it
    keys: tuple[QKeySequence, ...]
    where: str                     # "" for the whole window, else the part of it the keys work in
    window_wide: bool

    @property
    def keys_text(self) -> str:
        return ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in self.keys)


def plain_text(text: str) -> str:
    """A menu text without its mnemonic ampersand or trailing ellipsis."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…").rstrip(".").strip()


def _where(widget: QWidget | None, window: QWidget) -> str:
    """The part of the window holding ``widget``: an accessible name, a tab's title or a dock's title."""
    while widget is not None and widget is not window:
        if widget.accessibleName():
            return plain_text(widget.accessibleName())
        stack = widget.parentWidget()
        tabs = stack.parentWidget() if isinstance(stack, QStackedWidget) else None
        if isinstance(tabs, QTabWidget) and tabs.indexOf(widget) >= 0:
            return plain_text(tabs.tabText(tabs.indexOf(widget)))
        if isinstance(widget, QDockWidget) and widget.windowTitle():
            return plain_text(widget.windowTitle())
        widget = widget.parentWidget()
    return ""


def shortcut_rows(window: QWidget) -> list[ShortcutRow]:
    """Every key sequence the window answers to, in the order its parts were built."""
    rows: list[ShortcutRow] = []
    seen: set[tuple[str, str]] = set()

    def add(what: str, keys, context, owner) -> None:
        keys = tuple(k for k in keys if not k.isEmpty())
        if not keys or not what:
            return
        wide = context in _WIDE
        row = ShortcutRow(plain_text(what), keys, "" if wide else _where(owner, window), wide)
        if (row.what, row.keys_text) not in seen:
            seen.add((row.what, row.keys_text))
            rows.append(row)

    for action in window.findChildren(QAction):
        owner = action.parent() if isinstance(action.parent(), QWidget) else None
        add(action.text() or action.toolTip(), action.shortcuts(), action.shortcutContext(), owner)
    for shortcut in window.findChildren(QShortcut):
        owner = shortcut.parent() if isinstance(shortcut.parent(), QWidget) else None
        add(shortcut.whatsThis(), shortcut.keys(), shortcut.context(), owner)
    for button in window.findChildren(QAbstractButton):
        add(button.text() or button.toolTip(), [button.shortcut()], Qt.ShortcutContext.WidgetWithChildrenShortcut,
            button.parentWidget())
    return rows


class ShortcutsDialog(QDialog):
    """The shortcuts of ``window`` as a three-column table: what, keys, where."""

    def __init__(self, window: QWidget):
        super().__init__(window)
        self.setWindowTitle(self.tr("Keyboard shortcuts"))
        self.rows = shortcut_rows(window)
        self.table = QTableWidget(len(self.rows), 3, self)
        self.table.setHorizontalHeaderLabels([self.tr("Action"), self.tr("Shortcut"), self.tr("Works in")])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        for r, row in enumerate(self.rows):
            where = self.tr("the whole window") if row.window_wide else (row.where or self.tr("its panel"))
            for c, text in enumerate((row.what, row.keys_text, where)):
                self.table.setItem(r, c, QTableWidgetItem(text))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(560, 420)

    def listed(self) -> list[tuple[str, str]]:
        """(action, keys) as the table shows them."""
        return [(self.table.item(r, 0).text(), self.table.item(r, 1).text()) for r in range(self.table.rowCount())]
