"""Small pieces the panels share: the icon set, tooltips with keys, the code font, a progress-bar delegate,
the repository picker, document links."""
from __future__ import annotations

from importlib import resources

from PySide6.QtCore import QEvent, QModelIndex, Qt
from PySide6.QtGui import QAction, QColor, QFont, QFontDatabase, QIcon, QKeySequence, QPainter, QPalette, QTextDocument
from PySide6.QtWidgets import (QAbstractItemView, QApplication, QComboBox, QHeaderView, QLabel, QStyle,
                               QStyledItemDelegate, QStyleOptionProgressBar, QStyleOptionViewItem, QTableView, QWidget)

PROGRESS_ROLE = Qt.ItemDataRole.UserRole + 1   # an int 0..100, or None when there is no bar to draw


def icon(name: str) -> QIcon:
    """An icon of resources/icons (SVG, drawn for this app)."""
    return QIcon(str(resources.files("repowiki_gui.resources") / "icons" / f"{name}.svg"))


def with_keys(action: QAction, tip: str) -> QAction:
    """Give ``action`` the tooltip ``tip`` followed by its keys, "Open ZIP archives (Ctrl+O)", as toolbars show it."""
    keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
    action.setToolTip(f"{tip} ({keys})" if keys else tip)
    return action


def code_font() -> QFont:
    """The system's fixed-width font: the one font the window chooses itself (every other follows the system)."""
    return QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)


def about_text() -> str:
    """Help ▸ About: what the app is and its version."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        release = version("repowiki")
    except PackageNotFoundError:   # run from a source tree that was never installed
        release = "(source tree)"
    return (f"RepoWiki {release}\n\nAn offline wiki and chat for a source repository: drop a ZIP of it, read the "
            "wiki written about it and ask questions with citations to its files and lines. Nothing leaves "
            "this machine.")


def luminance(colour: QColor) -> float:
    """WCAG relative luminance, 0 (black) to 1 (white)."""
    def linear(v: float) -> float:
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
    return 0.2126 * linear(colour.redF()) + 0.7152 * linear(colour.greenF()) + 0.0722 * linear(colour.blueF())


def readable(hue: int, background: QColor, ratio: float = 4.5) -> QColor:
    """A saturated colour of ``hue`` that reads on ``background`` (WCAG ``ratio``): lighter on dark, darker on light."""
    dark_background = luminance(background) < 0.18
    bg = luminance(background) + 0.05
    for step in range(0, 256, 4):
        colour = QColor.fromHsl(hue, 200, min(255, 110 + step) if dark_background else max(0, 110 - step))
        fg = luminance(colour) + 0.05
        if max(fg, bg) / min(fg, bg) >= ratio:
            return colour
    return QColor(Qt.GlobalColor.white if dark_background else Qt.GlobalColor.black)


class ErrorLabel(QLabel):
    """A label in an error's red, worked out from the palette it sits on (no palette role is "error")."""

    ERROR_HUE = 0

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._recolour()

    def _recolour(self) -> None:
        # the application's palette, not the parent's: on a change, widgets hear of it in no set order
        background = QApplication.palette(self).color(QPalette.ColorRole.Window)
        colour = readable(self.ERROR_HUE, background)
        if self.palette().color(QPalette.ColorRole.WindowText) != colour:   # else setPalette would loop
            palette = self.palette()
            palette.setColor(QPalette.ColorRole.WindowText, colour)
            self.setPalette(palette)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:   # the system turned dark, or light
            self._recolour()


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
