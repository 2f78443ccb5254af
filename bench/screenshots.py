"""PNG screenshots of the main window for the README (window.grab(), offscreen).

Indexes a tiny synthetic repository with the real services, asks one question
so the chat tab has an answer, generates its wiki, and writes docs/screenshots/*.png.
About two minutes.

    python bench/screenshots.py [--out docs/screenshots]
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv[:1])
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
            window.grab().save(str(args.out / "indexing.png"))
            if not run_until(lambda: any(r["state"] == "ready" and r["chunks"] for r in window.repo_model.rows()), 120):
                print("indexing did not finish", file=sys.stderr)
                return 1
            window.repo_panel.view.selectRow(0)
            window.tasks_panel.view.selectRow(0)
            run_until(lambda: False, 1.5)   # one more status poll so the bar shows idle workers
            window.grab().save(str(args.out / "main-window.png"))
            chat = window.chat
            ask = getattr(chat, "ask", None)
            if callable(ask) and hasattr(chat, "question"):
                chat.question.setText("Where is the stock of an item increased?")
                ask()
                run_until(lambda: not chat.is_streaming(), 60)
            window.tabs.setCurrentIndex(0)
            window.grab().save(str(args.out / "chat.png"))
            window.tasks_panel.grab().save(str(args.out / "tasks.png"))
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
            window.grab().save(str(args.out / "wiki.png"))
            window.repo_panel.grab().save(str(args.out / "repositories.png"))
        finally:
            window.close()
            gui.stop()
    for png in sorted(args.out.glob("*.png")):
        print(png.relative_to(ROOT) if png.is_relative_to(ROOT) else png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
