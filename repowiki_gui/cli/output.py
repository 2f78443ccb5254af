"""What the command line prints: JSON objects, progress lines, references, durations."""
from __future__ import annotations

import json
import sys



def print_json(obj) -> None:
    print(json.dumps(obj, indent=2, default=str))


def print_progress(status: dict) -> None:
    prog = status.get("progress") or {}
    if status["state"] == "queued":
        print("  queued: waiting for a worker", flush=True)
    elif prog and status["state"] == "started":
        count = f" {prog['processed']}/{prog['total']}" if prog.get("total") else ""
        print(f"  [{prog.get('stage', '?')}]{count} {prog.get('progress', 0):5.1f}%  {prog.get('message', '')}",
              flush=True)


def print_refs(refs: list[dict]) -> None:
    """One line per reference; ``repo:path`` when they come from several repositories."""
    several = len({r.get("repo", "") for r in refs}) > 1
    for i, r in enumerate(refs, 1):
        symbol = f"  {r['symbol']}" if r["symbol"] else ""
        where = f"{r['repo']}:{r['path']}" if several and r.get("repo") else r["path"]
        print(f"[{i}] {where}:{r['start_line']}-{r['end_line']}{symbol}  ({r['kind']}, {r['score']:.2f})")


class ReadingLine:
    """"Reading the sources: 40%" on stderr while the model reads the prompt, gone when the answer starts.

    On a terminal the line is rewritten in place and erased; elsewhere one
    line is printed when reading starts, so logs stay short.
    """

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.tty = sys.stderr.isatty()
        self.shown = False

    def update(self, done: int, total: int) -> None:
        if not self.enabled or total <= 0:
            return
        if self.tty:
            print(f"\r  Reading the sources: {100 * done // total}%", end="", file=sys.stderr, flush=True)
        elif not self.shown:
            print(f"  Reading the sources ({total} tokens)…", file=sys.stderr, flush=True)
        self.shown = True

    def end(self) -> None:
        if self.shown and self.tty:
            print("\r\033[K", end="", file=sys.stderr, flush=True)
        self.shown = False


def fmt_duration(seconds) -> str:
    if seconds is None:
        return "-"
    return f"{seconds:.1f}s" if seconds < 120 else f"{seconds / 60:.1f}m"
