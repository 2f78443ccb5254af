"""A keyed table model that updates with minimal change signals (no blanket resets)."""
from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from .pyside_fixes import emit, no_data


class KeyedTableModel(QAbstractTableModel):
    """Rows are dicts with a unique key; subclasses say how a row shows in each column."""

    HEADERS: tuple[str, ...] = ()

    def __init__(self, parent=None):
        super().__init__(parent)
        self._rows: list[dict] = []

    # --- what subclasses provide -------------------------------------------------
    def key(self, row: dict) -> str:
        raise NotImplementedError

    def cell(self, row: dict, column: int, role: int):
        raise NotImplementedError

    # --- Qt -----------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal \
                and 0 <= section < len(self.HEADERS):
            return self.HEADERS[section]
        return no_data()

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return no_data()
        value = self.cell(self._rows[index.row()], index.column(), role)
        return no_data() if value is None else value

    def row_at(self, row: int) -> dict | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rows(self) -> list[dict]:
        return list(self._rows)

    # --- updates --------------------------------------------------------------------
    def set_rows(self, rows: list[dict]) -> None:
        """Replace the rows: dataChanged for changed rows, inserts at the top, removals at the end."""
        old_keys = [self.key(r) for r in self._rows]
        new_keys = [self.key(r) for r in rows]
        if old_keys == new_keys:
            self._update_changed(rows)
            return
        # The common case of a job list: new rows on top, the oldest fall off the end.
        added = next((i for i in range(len(new_keys) + 1) if new_keys[i:] == old_keys[:len(new_keys) - i]), None)
        if added is not None and not (set(new_keys[:added]) & set(old_keys)):
            kept = len(new_keys) - added
            if kept < len(old_keys):
                self.beginRemoveRows(QModelIndex(), kept, len(old_keys) - 1)
                del self._rows[kept:]
                self.endRemoveRows()
            if added:
                self.beginInsertRows(QModelIndex(), 0, added - 1)
                self._rows[0:0] = rows[:added]
                self.endInsertRows()
            self._update_changed(rows)
            return
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def _update_changed(self, rows: list[dict]) -> None:
        last = self.columnCount() - 1
        for i, (old, new) in enumerate(zip(self._rows, rows)):
            if old != new:
                self._rows[i] = new
                emit(self.dataChanged, self.index(i, 0), self.index(i, last))
