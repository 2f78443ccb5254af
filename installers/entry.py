"""The frozen app's entry point: one executable, two roles.

Started by a person it is the window (``repowiki`` = ``repowiki gui``) or any
subcommand of the command line; started by the app itself it is a worker
(``repowiki --home DIR worker ...``, see ``repowiki_gui/jobs/launch.py``).
"""
import sys

from repowiki_gui.cli import main

if __name__ == "__main__":
    sys.exit(main())
