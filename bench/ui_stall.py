"""The longest UI event-loop stall while a real ZIP indexes (DESIGN: never > 50 ms).

Opens the main window offscreen with a real ServiceBridge on a temp data dir,
ticks a 10 ms QTimer on the UI thread and records the gap between ticks:
first 20 s with nothing running (the same-run baseline), then while the Flask
sdist ZIP indexes.  Prints max and p99 stall in ms for both.  The Wiki tab is
on screen; in turns of 10 s its web view sets a page with two Mermaid diagrams
again every 2 s (QtWebEngine loads, lays out and Mermaid draws it anew) or sits
still, and the stalls of each kind of turn are reported apart: the same
indexing, the same machine, with and without the web view working.

    python bench/ui_stall.py [--zip PATH] [--idle-s 20]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from PySide6.QtCore import QEventLoop, QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

TICK_MS = 10
REDRAW_MS = 2000   # the wiki page is set again this often: QtWebEngine lays it out and Mermaid draws anew
TURN_MS = 10_000   # the web view works for one turn, sits still the next
WIKI_PAGE = """# Architecture

Some prose with `code`, a [link](overview.md) and a table.

| From | To |
|------|----|
| app  | db |

```mermaid
flowchart LR
    n0["app.py"] --> n1["views.py"]
    n1 --> n2["models.py"]
    n2 --> n3["db.py"]
    n0 --> n3
```

```python
def dispatch(request):
    return handlers[request.path](request)
```

```mermaid
sequenceDiagram
    App->>Views: dispatch
    Views->>Models: query
    Models-->>Views: rows
```
""" + "\n".join(f"Paragraph {i} of filler text for the page's length." for i in range(200))


class StallMeter:
    """Gaps between ticks of a 10 ms timer, minus the 10 ms it should take (``by_turn``: per kind of turn)."""

    def __init__(self):
        self.gaps: list[float] = []
        self.turn = ""
        self.by_turn: dict[str, list[float]] = {}
        self._last = None
        self.timer = QTimer()
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)

    def start(self) -> None:
        self.gaps.clear()
        self.by_turn = {}
        self._last = time.perf_counter()
        self.timer.start()

    def stop(self) -> list[float]:
        self.timer.stop()
        return list(self.gaps)

    def _tick(self) -> None:
        now = time.perf_counter()
        gap = max(0.0, (now - self._last) * 1000 - TICK_MS)
        self.gaps.append(gap)
        self.by_turn.setdefault(self.turn, []).append(gap)
        self._last = now


def summary(gaps: list[float]) -> str:
    if not gaps:
        return "no ticks"
    ordered = sorted(gaps)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"max {ordered[-1]:.1f} ms, p99 {p99:.1f} ms over {len(gaps)} ticks"


def run_until(predicate, timeout_s: float) -> bool:
    """Run the real event loop (no busy polling) until predicate() holds or time runs out."""
    loop = QEventLoop()
    check = QTimer()
    check.timeout.connect(lambda: loop.quit() if predicate() else None)
    check.start(100)
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    loop.exec()
    check.stop()
    return predicate()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zip", type=Path, default=None, help="the ZIP to index (default: Flask 3.1.3 sdist)")
    parser.add_argument("--idle-s", type=float, default=20.0)   # two turns: web view working, then still
    args = parser.parse_args()
    zip_path = args.zip
    if zip_path is None:
        zip_path = Path.home() / ".cache" / "repowiki-bench" / "flask-3.1.3.zip"
        if not zip_path.is_file():
            from index_bench import fetch_sdist_as_zip
            zip_path = fetch_sdist_as_zip("flask==3.1.3")

    from repowiki_gui.ui import web_engine
    web_engine.prepare()   # as the app does before its QApplication
    app = QApplication.instance() or QApplication(sys.argv[:1])
    from repowiki_gui.core.index.repositories import default_repo_name
    from repowiki_gui.core.wiki.html import app_document
    from repowiki_gui.ui.app import Gui

    with tempfile.TemporaryDirectory(prefix="repowiki-stall-") as tmp:
        home = Path(tmp) / "home"
        os.environ["REPOWIKI_HOME"] = str(home)
        gui = Gui(home, qsettings=QSettings(str(Path(tmp) / "ui.ini"), QSettings.Format.IniFormat))
        meter = StallMeter()
        try:
            gui.start()
            if not run_until(lambda: gui.window.redis_label.text().startswith("Redis: running"), 60):
                print("the services did not start", file=sys.stderr)
                return 1
            wiki = gui.window.wiki
            gui.window.tabs.setCurrentWidget(wiki)
            wiki.stack.setCurrentIndex(1)
            document = app_document(WIKI_PAGE)
            draws = []
            wiki.browser.loadFinished.connect(draws.append)
            wiki.browser.show_html("architecture.md", document)
            if not run_until(lambda: bool(draws), 30):
                print("the wiki page did not load", file=sys.stderr)
                return 1
            redraw = QTimer()
            redraw.timeout.connect(lambda: wiki.browser.show_html("architecture.md", document))
            turns = QTimer()

            def next_turn():
                working = meter.turn != "web"
                meter.turn = "web" if working else "still"
                redraw.start(REDRAW_MS) if working else redraw.stop()
            turns.timeout.connect(next_turn)
            next_turn()
            turns.start(TURN_MS)
            meter.start()
            run_until(lambda: False, args.idle_s)
            idle = meter.stop()
            idle_turns = dict(meter.by_turn)

            name = default_repo_name(zip_path)
            meter.start()
            t0 = time.perf_counter()
            gui.window.queue_zips([zip_path])

            def indexed():
                rows = {r["name"]: r for r in gui.window.repo_model.rows()}
                return rows.get(name, {}).get("state") == "ready" and rows[name]["chunks"] > 0
            ok = run_until(indexed, 900)
            busy = meter.stop()
            elapsed = time.perf_counter() - t0
            chunks = {r["name"]: r for r in gui.window.repo_model.rows()}.get(name, {}).get("chunks")
            busy_turns = dict(meter.by_turn)
            turns.stop()
            redraw.stop()
        finally:
            gui.window.close()
            gui.stop()
    if not ok:
        print("indexing did not finish", file=sys.stderr)
        return 1
    print(f"indexed {zip_path.name}: {chunks} chunks in {elapsed:.1f} s; in turns of {TURN_MS // 1000} s the wiki "
          f"page (two Mermaid diagrams) is set again every {REDRAW_MS / 1000:.0f} s, or not")
    print(f"UI stall while indexing:   {summary(busy)}   (target: max <= 50 ms)")
    for turn, label in (("web", "web view working"), ("still", "web view still")):
        print(f"  {label + ':':22s}   {summary(busy_turns.get(turn, []))}")
    print(f"UI stall idle (baseline):  {summary(idle)}")
    for turn, label in (("web", "web view working"), ("still", "web view still")):
        print(f"  {label + ':':22s}   {summary(idle_turns.get(turn, []))}")
    return 0 if max(busy) <= 50 else 2


if __name__ == "__main__":
    sys.exit(main())
