"""Job functions the tests enqueue (workers import them by dotted path)."""
from __future__ import annotations

import os
import time
from pathlib import Path

from repowiki_gui.core.errors import UserError
from repowiki_gui.jobs.progress import JobProgress


def add(a, b):
    return a + b


def steps(n: int, marker: str | None = None, step_s: float = 0.05):
    """Reports progress n times; touches ``marker`` when it starts (a test waits on it)."""
    progress = JobProgress.current()
    if marker:
        Path(marker).write_text(str(os.getpid()))
    for i in range(n):
        progress.check()
        progress.update("steps", f"step {i + 1} of {n}", i + 1, n)
        time.sleep(step_s)
    return {"steps": n}


def boom(message: str = "kaboom"):
    raise RuntimeError(message)


def bad_input():
    raise UserError("That ZIP is not a ZIP.")


def flaky(counter_file: str, fail_times: int):
    """Fails ``fail_times`` times (a transient error), then succeeds."""
    path = Path(counter_file)
    n = int(path.read_text()) if path.exists() else 0
    path.write_text(str(n + 1))
    if n < fail_times:
        raise ConnectionError(f"transient failure {n + 1}")
    return {"attempts": n + 1}


def sleeper(marker: str, seconds: float = 120.0):
    """Runs long without checkpoints (only a hard stop ends it early)."""
    Path(marker).write_text(str(os.getpid()))
    time.sleep(seconds)
    return "slept"
