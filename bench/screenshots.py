"""PNG screenshots of the main window for the README (window.grab()).

Indexes a tiny synthetic repository with the real services, asks one question
so the chat tab has an answer, opens a file and a code search, generates its
wiki, and writes docs/screenshots/*.png (with ``--dark``: ``*-dark.png``, the
system's palette switched to dark, as a desktop's dark theme does). About two minutes.
The README's shots are taken on a real X server, the xcb plugin, as a user sees it:

    xvfb-run -a -s "-screen 0 1400x900x24" env QT_QPA_PLATFORM=xcb python bench/screenshots.py [--dark]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import zipfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtGui import QColor, QPalette  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from ui_stall import run_until  # noqa: E402  (the same event-loop wait)
FILES = {
    "README.md": "# inventory\n\nA small stock keeper: items, stores, and reports.\n",
    "inventory/items.py": ('"""Items and their stock levels."""\n\n\nclass Item:\n'
                           '    def __init__(self, sku: str, count: int = 0):\n        self.sku = sku\n'
                           '        self.count = count\n\n    def restock(self, n: int) -> None:\n'
                           '        """Add n units to the stock."""\n        self.count += n\n'),
    "inventory/store.py": ('"""Keeps items in a JSON file."""\nimport json\n\n\ndef load(path):\n'
                           '    with open(path) as fh:\n        return json.load(fh)\n\n\ndef save(path, data):\n'
                           '    with open(path, "w") as fh:\n        json.dump(data, fh)\n'),
    "inventory/report.py": ('from .items import Item\n\n\ndef low_stock(items: list[Item], limit: int = 5):\n'
                            '    """Items whose count is below the limit."""\n'
                            '    return [i for i in items if i.count < limit]\n'),
}


DARK = {"Window": "#2b2d30", "WindowText": "#dfe1e5", "Base": "#1e1f22", "AlternateBase": "#26282b",
        "Text": "#dfe1e5", "Button": "#35373b", "ButtonText": "#dfe1e5", "Highlight": "#2f65ca",
        "HighlightedText": "#ffffff", "ToolTipBase": "#35373b", "ToolTipText": "#dfe1e5",
        "PlaceholderText": "#8c9096", "Link": "#6aa5ff", "LinkVisited": "#b48ef0", "Mid": "#4a4d52",
        "Dark": "#1b1c1e", "Light": "#45484d", "Midlight": "#3a3d41", "Shadow": "#000000"}


def dark_palette() -> QPalette:
    palette = QPalette()
    for role, colour in DARK.items():
        palette.setColor(getattr(QPalette.ColorRole, role), QColor(colour))
    for role in ("WindowText", "Text", "ButtonText"):
        palette.setColor(QPalette.ColorGroup.Disabled, getattr(QPalette.ColorRole, role), QColor("#7c8287"))
    return palette


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--dark", action="store_true", help="the system's dark colour scheme; *-dark.png")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    suffix = "-dark" if args.dark else ""
    if args.dark:   # what a desktop's dark theme hands Qt: a dark palette (Xvfb has no theme of its own)
        app.setStyle("Fusion")
        app.setPalette(dark_palette())

    def shot(widget, name: str) -> None:
        widget.grab().save(str(args.out / f"{name}{suffix}.png"))
    from repowiki_gui.ui.app import Gui

    with tempfile.TemporaryDirectory(prefix="repowiki-shots-") as tmp:
        home = Path(tmp) / "home"
        os.environ["REPOWIKI_HOME"] = str(home)
        zip_path = Path(tmp) / "inventory.zip"
        with zipfile.ZipFile(zip_path, "w") as zf:
            for name, text in FILES.items():
                zf.writestr(f"inventory-main/{name}", text)
        gui = Gui(home, qsettings=QSettings(str(Path(tmp) / "ui.ini"), QSettings.Format.IniFormat))
        window = gui.window
        try:
            gui.start()
            window.resize(1280, 800)
            if not run_until(lambda: window.redis_label.text().startswith("Redis: running"), 60):
                print("the services did not start", file=sys.stderr)
                return 1
            window.queue_zips([zip_path])
            run_until(lambda: any(r["state"] == "indexing" for r in window.repo_model.rows()), 20)
            shot(window, "indexing")
            if not run_until(lambda: any(r["state"] == "ready" and r["chunks"] for r in window.repo_model.rows()), 120):
                print("indexing did not finish", file=sys.stderr)
                return 1
            window.repo_panel.view.selectRow(0)
            window.tasks_panel.view.selectRow(0)
            run_until(lambda: False, 1.5)   # one more status poll so the bar shows idle workers
            shot(window, "main-window")
            chat = window.chat
            chat.question.setPlainText("Where is the stock of an item increased?")
            chat.ask()
            run_until(lambda: not chat.is_streaming(), 60)
            window.tabs.setCurrentWidget(chat)
            shot(window, "chat")
            window.set_tasks_visible(True)
            shot(window.tasks_panel, "tasks")
            window.set_tasks_visible(False)
            window.tabs.setCurrentWidget(window.code_search)
            window.code_search.query_edit.setText("restock")
            run_until(lambda: window.code_search.result_at(0) is not None, 30)
            shot(window, "search")
            window.code_search.result_at(0) and window.code_search.query_edit.returnPressed.emit()
            run_until(lambda: window.tabs.currentWidget() is window.source, 10)
            run_until(lambda: False, 0.5)
            shot(window, "source")
            wiki = window.wiki
            window.tabs.setCurrentWidget(wiki)
            wiki.set_repo("inventory")
            wiki.generate()
            if not run_until(lambda: wiki.has_wiki() and "architecture.md" in wiki.model.pages(), 300):
                print("the wiki was not generated", file=sys.stderr)
                return 1
            wiki.open_page("inventory", "architecture.md")
            run_until(lambda: wiki.page_on_screen() == "architecture.md", 30)
            drawn = []   # Mermaid draws after the page loads: ask until it is done (resources/web/diagrams.js)

            def diagrams_done() -> bool:
                wiki.browser.page().runJavaScript("document.documentElement.getAttribute('data-diagrams')", 0,
                                                  drawn.append)
                return "done" in drawn
            run_until(diagrams_done, 30)
            run_until(lambda: False, 0.5)   # one more frame painted before the grab
            shot(window, "wiki")
            shot(window.repo_panel, "repositories")
        finally:
            window.close()
            gui.stop()
    for png in sorted(args.out.glob("*.png")):
        print(png.relative_to(ROOT) if png.is_relative_to(ROOT) else png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
