"""Waiting on a condition without a fixed sleep."""
from __future__ import annotations

import time


def wait_until(predicate, timeout_s: float = 30.0, interval_s: float = 0.02, what: str = "condition"):
    """Poll a condition (never a fixed sleep); fail the test with ``what`` on timeout."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(interval_s)
