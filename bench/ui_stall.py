"""The longest UI event-loop stall while a real ZIP indexes (DESIGN: never > 50 ms).

Opens the main window offscreen with a real ServiceBridge on a temp data dir,
ticks a 10 ms QTimer on the UI thread and records the gap between ticks:
first 10 s with nothing running (the same-run baseline), then while the Flask
sdist ZIP indexes.  Prints max and p99 stall in ms for both.

    python bench/ui_stall.py [--zip PATH] [--idle-s 10]
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


class StallMeter:
    """Gaps between ticks of a 10 ms timer, minus the 10 ms it should take."""

    def __init__(self):
        self.gaps: list[float] = []
        self._last = None
        self.timer = QTimer()
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)

    def start(self) -> None:
        self.gaps.clear()
        self._last = time.perf_counter()
        self.timer.start()

    def stop(self) -> list[float]:
        self.timer.stop()
        return list(self.gaps)

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append(max(0.0, (now - self._last) * 1000 - TICK_MS))
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
    parser.add_argument("--idle-s", type=float, default=10.0)
    args = parser.parse_args()
    zip_path = args.zip
    if zip_path is None:
        zip_path = Path.home() / ".cache" / "repowiki-bench" / "flask-3.1.3.zip"
        if not zip_path.is_file():
            from index_bench import fetch_sdist_as_zip
            zip_path = fetch_sdist_as_zip("flask==3.1.3")

    app = QApplication.instance() or QApplication(sys.argv[:1])
    from repowiki_gui.core.index.repositories import default_repo_name
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
            meter.start()
            run_until(lambda: False, args.idle_s)
            idle = meter.stop()

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
        finally:
            gui.window.close()
            gui.stop()
    if not ok:
        print("indexing did not finish", file=sys.stderr)
        return 1
    print(f"indexed {zip_path.name}: {chunks} chunks in {elapsed:.1f} s")
    print(f"UI stall while indexing:   {summary(busy)}   (target: max <= 50 ms)")
    print(f"UI stall idle (baseline):  {summary(idle)}")
    return 0 if max(busy) <= 50 else 2


if __name__ == "__main__":
    sys.exit(main())
