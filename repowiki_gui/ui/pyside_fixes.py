"""Workarounds for two reference-count bugs of PySide6 6.12.0 (pyproject pins below it; these guard a newer install).

1. ``SignalInstance.emit`` returns ``True`` without taking a reference to it, so
   every emit from Python drops one reference of ``True``.
2. A Python override of a virtual that returns a QVariant (``data``,
   ``headerData``) and returns ``None`` loses one reference of ``None``.

After a few thousand of either (a streamed answer, a minute of table repaints)
the interpreter aborts with "bool_dealloc"/"none_dealloc: deallocating ...".
Each bug is measured once at import, so a fixed PySide6 makes these no-ops.
Emit from Python with ``emit(signal, ...)``; return ``no_data()`` from ``data()``.
"""
from __future__ import annotations

import ctypes
import sys

from PySide6.QtCore import QAbstractListModel, QIdentityProxyModel, QModelIndex, QObject, Qt, Signal

_PROBES = 8
_incref = ctypes.pythonapi.Py_IncRef
_incref.argtypes = [ctypes.py_object]
_incref.restype = None


class _Probe(QObject):
    ping = Signal()


class _NoneModel(QAbstractListModel):
    def rowCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else 1

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        return None


def _measure(obj, action) -> bool:
    """Whether each call of ``action`` drops one reference of ``obj`` (references given back)."""
    before = sys.getrefcount(obj)
    for _ in range(_PROBES):
        action()
    dropped = before - sys.getrefcount(obj)
    for _ in range(max(0, dropped)):
        _incref(obj)
    return dropped == _PROBES


def _probe_emit() -> bool:
    probe = _Probe()
    return _measure(True, probe.ping.emit)


def _probe_none_data() -> bool:
    source = _NoneModel()
    proxy = QIdentityProxyModel()
    proxy.setSourceModel(source)
    index = proxy.index(0, 0)
    return _measure(None, lambda: proxy.data(index))


EMIT_DROPS_TRUE = _probe_emit()
DATA_DROPS_NONE = _probe_none_data()


def emit(signal, *args) -> None:
    """``signal.emit(*args)``, giving back the reference of ``True`` a buggy emit drops."""
    signal.emit(*args)
    if EMIT_DROPS_TRUE:
        _incref(True)


def no_data():
    """``None`` for a model's ``data``/``headerData``, with the reference a buggy binding drops."""
    if DATA_DROPS_NONE:
        _incref(None)
    return None
