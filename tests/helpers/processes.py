"""The processes a test starts: the command line as a user runs it, and what is left running."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psutil


def processes_using(home: Path) -> list[psutil.Process]:
    """Every process whose command line mentions this data dir."""
    found = []
    for proc in psutil.process_iter(["pid", "cmdline"]):
        try:
            if proc.pid == os.getpid():
                continue
            if any(str(home) in part for part in (proc.info["cmdline"] or [])):
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


def run_cli(*args, home: Path, timeout: float = 120, **kwargs) -> subprocess.CompletedProcess:
    """Run the installed command line as a user would."""
    return subprocess.run([sys.executable, "-m", "repowiki_gui", "--home", str(home), *args],
                          capture_output=True, text=True, timeout=timeout, **kwargs)
