"""The PySide6 we install must not have 6.12.0's reference-count bugs (they abort Python 3.11)."""
from repowiki_gui.ui import pyside_fixes


def test_signal_emit_and_none_data_keep_their_references():
    assert not pyside_fixes.EMIT_DROPS_TRUE
    assert not pyside_fixes.DATA_DROPS_NONE
