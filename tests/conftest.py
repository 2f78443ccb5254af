"""Shared fixtures: a private data dir per test, the real Redis binary, real workers."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

TESTS_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(TESTS_DIR))  # jobfuncs, for the workers and for us

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


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


def processes_using(home: Path) -> list[psutil.Process]:
    """Every process whose command line or open socket mentions this data dir."""
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


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "home"
    # The tiny model keeps the suite quick (the CLI and the workers read this file);
    # tests/jobs/test_default_model.py runs the default model for real.
    path.mkdir(mode=0o700, exist_ok=True)
    (path / "settings.json").write_text(json.dumps({"llm_model": "smollm2-135m"}))
    monkeypatch.setenv("REPOWIKI_HOME", str(path))
    monkeypatch.delenv("REPOWIKI_REDIS_URL", raising=False)
    # Workers are separate processes: they find the test job functions on PYTHONPATH.
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(TESTS_DIR), os.environ.get("PYTHONPATH", "")]))
    yield path
    leftovers = processes_using(path)
    for proc in leftovers:
        proc.kill()
    assert not leftovers, f"processes left behind: {[p.info['cmdline'] for p in leftovers]}"


@pytest.fixture
def fast_settings():
    from repowiki_gui.settings import Settings

    # The service manager hands these to its workers: the tiny model, as in the home's settings.json.
    return Settings(supervise_interval_s=0.2, job_monitoring_interval_s=1, worker_ttl_s=15,
                    retry_intervals_s=(1, 1, 1), cleanup_interval_s=3600, llm_model="smollm2-135m")


@pytest.fixture
def services(home, fast_settings):
    """Redis and one interactive + one bulk worker, all real processes."""
    from repowiki_gui.jobs.manager import ServiceManager

    manager = ServiceManager(home, fast_settings).start(workers=True)
    yield manager
    manager.stop()


@pytest.fixture
def service(services):
    from repowiki_gui.jobs.service import JobService

    return JobService(services.connection(), services.settings, services.home)


def run_cli(*args, home: Path, timeout: float = 120, **kwargs) -> subprocess.CompletedProcess:
    """Run the installed command line as a user would."""
    return subprocess.run([sys.executable, "-m", "repowiki_gui", "--home", str(home), *args],
                          capture_output=True, text=True, timeout=timeout, **kwargs)
