"""How to start this program again in another process (a worker), installed or frozen.

Installed, the program is ``python -m repowiki_gui``.  In the PyInstaller app
(``installers/repowiki.spec``) ``sys.executable`` is the app itself and takes
the command line directly: one executable, two roles (window and worker).
"""
from __future__ import annotations

import sys


def is_frozen() -> bool:
    """True inside the PyInstaller app."""
    return bool(getattr(sys, "frozen", False))


def self_command(*args: str) -> list[str]:
    """The argv that runs ``repowiki ARGS...`` with this same installation."""
    if is_frozen():
        return [sys.executable, *args]
    return [sys.executable, "-m", "repowiki_gui", *args]
