"""Thin PySide6 widgets and item models (the window arrives with issue 5)."""
