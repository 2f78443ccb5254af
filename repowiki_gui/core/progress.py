"""How core code reports progress and learns it should stop, knowing nothing of jobs.

Core functions take a ``Progress``; the job layer passes one that writes rq
job meta, tests and scripts pass ``NullProgress`` or a recorder.
"""
from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def update(self, stage: str, message: str = "", processed: int = 0,
               total: int = 0, progress: float | None = None) -> None:
        """Report where the work is; ``progress`` defaults to processed/total."""

    def check(self) -> None:
        """Raise ``JobCancelled`` or ``SoftTimeLimitExceeded`` if the work must stop."""


class NullProgress:
    """Progress that goes nowhere and never asks to stop."""

    def update(self, stage, message="", processed=0, total=0, progress=None):
        pass

    def check(self):
        pass
