"""What an empty window shows: how to begin (drop a ZIP here, or the button that opens one)."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from .pyside_fixes import emit
from .widgets import icon


class EmptyState(QWidget):
    """A centred title, a sentence and an Open ZIP button (``openRequested``); colours from the palette.

    It accepts no drop itself: a ZIP dropped on it reaches the main window, which indexes it.
    """

    openRequested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("emptyState")
        self.title = QLabel(self.tr("Drop a ZIP of a repository here"), self)
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = QFont(self.title.font())
        font.setPointSizeF(font.pointSizeF() * 1.4)
        self.title.setFont(font)
        self.hint = QLabel(self.tr("RepoWiki indexes it on this machine, then answers questions about its code "
                                   "with the files and lines it read. Nothing leaves the computer."), self)
        self.hint.setWordWrap(True)
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.button = QPushButton(icon("open"), self.tr("Open a ZIP…"), self)
        self.button.setToolTip(self.tr("Choose a ZIP of a source repository to index (Ctrl+O)"))
        self.button.clicked.connect(self._open)
        for label in (self.title, self.hint):
            label.setTextFormat(Qt.TextFormat.PlainText)
        layout = QVBoxLayout(self)
        layout.addStretch(2)
        layout.addWidget(self.title)
        layout.addWidget(self.hint)
        layout.addSpacing(12)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(3)

    def _open(self) -> None:
        emit(self.openRequested)
