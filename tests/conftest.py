"""Shared fixtures: a private data dir per test, the real Redis binary, real workers."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from helpers.processes import processes_using

TESTS_DIR = Path(__file__).resolve().parent

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "home"
    # The tiny model keeps the suite quick (the CLI and the workers read this file);
    # tests/jobs/test_default_model.py runs the default model for real.
    path.mkdir(mode=0o700, exist_ok=True)
    (path / "settings.json").write_text(json.dumps({"llm_model": "smollm2-135m"}))
    monkeypatch.setenv("REPOWIKI_HOME", str(path))
    monkeypatch.delenv("REPOWIKI_REDIS_URL", raising=False)
    # Workers are separate processes: tests/ on their PYTHONPATH lets them import helpers.jobfuncs.
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

