"""Small pieces the panels share: the icon set, a progress-bar delegate, the repository picker, document links."""
from __future__ import annotations

from importlib import resources

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QIcon, QPainter, QTextDocument
from PySide6.QtWidgets import (QAbstractItemView, QApplication, QComboBox, QHeaderView, QStyle, QStyledItemDelegate,
                               QStyleOptionProgressBar, QStyleOptionViewItem, QTableView, QWidget)

PROGRESS_ROLE = Qt.ItemDataRole.UserRole + 1   # an int 0..100, or None when there is no bar to draw


def icon(name: str) -> QIcon:
    """An icon of resources/icons (SVG, drawn for this app)."""
    return QIcon(str(resources.files("repowiki_gui.resources") / "icons" / f"{name}.svg"))


class ProgressDelegate(QStyledItemDelegate):
    """Draws PROGRESS_ROLE as a native progress bar; plain text when the role is None."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        value = index.data(PROGRESS_ROLE)
        if value is None:
            super().paint(painter, option, index)
            return
        bar = QStyleOptionProgressBar()
        bar.rect = option.rect.adjusted(2, 3, -2, -3)
        bar.minimum, bar.maximum, bar.progress = 0, 100, int(value)
        bar.text = f"{int(value)}%"
        bar.textVisible = True
        bar.state = option.state
        bar.palette = option.palette
        style = option.widget.style() if option.widget else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter, option.widget)


def table_view(model, progress_column: int, stretch_column: int, parent: QWidget) -> QTableView:
    """A row-selecting table over ``model`` with a progress bar in ``progress_column``."""
    view = QTableView(parent)
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setItemDelegateForColumn(progress_column, ProgressDelegate(view))
    view.verticalHeader().hide()
    view.horizontalHeader().setSectionResizeMode(stretch_column, QHeaderView.ResizeMode.Stretch)
    return view


def refill_repo_combo(combo: QComboBox, names: list[str]) -> bool:
    """Put ``names`` in a repository picker, keeping the current choice; True when the choice changed."""
    current = combo.currentText()
    if names == [combo.itemText(i) for i in range(combo.count())]:
        return False
    combo.blockSignals(True)   # refilling is not the user choosing a repository
    combo.clear()
    combo.addItems(names)
    combo.setCurrentIndex(names.index(current) if current in names else (0 if names else -1))
    combo.blockSignals(False)
    return combo.currentText() != current


def document_anchors(document: QTextDocument) -> list[tuple[str, str]]:
    """Every (href, text) link of ``document`` in order: what a user can click."""
    found, block = [], document.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            frag = it.fragment()
            if frag.isValid() and frag.charFormat().isAnchor() and frag.charFormat().anchorHref():
                found.append((frag.charFormat().anchorHref(), frag.text()))
            it += 1
        block = block.next()
    return found
