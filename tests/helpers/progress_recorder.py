"""A Progress that records every update and can cancel after a number of checks."""
from repowiki_gui.core.errors import JobCancelled


class Recorder:
    def __init__(self, cancel_after: int | None = None):
        self.updates, self.checks, self.cancel_after = [], 0, cancel_after

    def update(self, stage, message="", processed=0, total=0, progress=None):
        self.updates.append((stage, processed, total))

    def check(self):
        self.checks += 1
        if self.cancel_after is not None and self.checks > self.cancel_after:
            raise JobCancelled("cancelled")
