"""The question box: several lines; Enter sends, Shift+Enter breaks the line, Up and Down walk earlier questions."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QKeyEvent, QTextCursor
from PySide6.QtWidgets import QPlainTextEdit

from .pyside_fixes import emit

VISIBLE_LINES = 3


class QuestionBox(QPlainTextEdit):
    """A plain-text box that emits ``submitted`` on Enter and keeps the questions sent (``remember``).

    Up on the first line shows the question before the one shown (the draft is kept), Down on
    the last line the next one, and past the newest the draft again, as a shell does.
    """

    submitted = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setTabChangesFocus(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self._history: list[str] = []
        self._position = 0      # index into _history; len(_history) is the draft
        self._draft = ""
        lines = self.fontMetrics().lineSpacing() * VISIBLE_LINES
        margins = self.contentsMargins()
        self.setFixedHeight(lines + 2 * int(self.document().documentMargin()) + margins.top() + margins.bottom())

    # the QLineEdit-like surface the panel (and its tests) use
    def text(self) -> str:
        return self.toPlainText()

    def setText(self, text: str) -> None:  # noqa: N802 -- as QLineEdit.setText
        self.setPlainText(text)
        self.moveCursor(QTextCursor.MoveOperation.End)

    def history(self) -> list[str]:
        """The questions remembered, oldest first."""
        return list(self._history)

    def remember(self, question: str) -> None:
        """Add a question sent (or one of a loaded conversation) to the history; the draft starts afresh."""
        if question and (not self._history or self._history[-1] != question):
            self._history.append(question)
        self._position, self._draft = len(self._history), ""

    def _show(self, position: int) -> None:
        if self._position == len(self._history):
            self._draft = self.toPlainText()
        self._position = position
        self.setText(self._draft if position == len(self._history) else self._history[position])

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        key, mods = event.key(), event.modifiers()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if mods & Qt.KeyboardModifier.ShiftModifier:
                self.textCursor().insertText("\n")
            elif not mods & ~Qt.KeyboardModifier.KeypadModifier:
                emit(self.submitted)
            else:
                super().keyPressEvent(event)
            return
        plain = not mods & ~Qt.KeyboardModifier.KeypadModifier
        if plain and key == Qt.Key.Key_Up and self._position > 0 and self._on_edge_line(up=True):
            self._show(self._position - 1)
            return
        if plain and key == Qt.Key.Key_Down and self._position < len(self._history) \
                and self._on_edge_line(up=False):
            self._show(self._position + 1)
            return
        super().keyPressEvent(event)

    def _on_edge_line(self, up: bool) -> bool:
        """Whether the caret is on the first (``up``) or the last line, wrapped lines counted."""
        probe = QTextCursor(self.textCursor())
        return not probe.movePosition(QTextCursor.MoveOperation.Up if up else QTextCursor.MoveOperation.Down)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if event.mimeData().hasUrls():   # a dropped ZIP goes to the window, which indexes it
            event.ignore()
            return
        super().dragEnterEvent(event)
