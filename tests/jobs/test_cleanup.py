"""resource_management.cleanup: at start, periodically, and what it removes."""
import os
import time

from rq import Queue
from rq.worker import Worker

from helpers.waiting import wait_until


def _cleanups(service):
    return [r for r in service.history.recent(100) if r["name"] == "resource_management.cleanup"]


def test_cleanup_runs_at_start_and_then_periodically(home, fast_settings):
    from repowiki_gui.jobs.manager import ServiceManager
    from repowiki_gui.jobs.service import JobService

    fast_settings.cleanup_interval_s = 1
    manager = ServiceManager(home, fast_settings).start()
    try:
        service = JobService(manager.connection(), manager.settings, manager.home)
        wait_until(lambda: len(_cleanups(service)) >= 3, what="three cleanups: start plus two periodic")
        wait_until(lambda: any(r["outcome"] == "finished" for r in _cleanups(service)), what="one to finish")
    finally:
        manager.stop()


def test_cleanup_removes_stale_temp_dirs_and_worker_keys(services, service):
    # let the start-up cleanup finish first, so the one below is the one that finds the debris
    wait_until(lambda: any(r["outcome"] == "finished" for r in _cleanups(service)), what="start-up cleanup")
    tmp = services.home / "tmp"
    old, fresh = tmp / "job-from-a-crash", tmp / "job-just-started"
    for d in (old, fresh):
        d.mkdir()
        (d / "part.bin").write_bytes(b"x" * 100)
    long_ago = time.time() - services.settings.temp_max_age_s - 60
    os.utime(old, (long_ago, long_ago))

    ghost = Worker([Queue("qa", connection=service.connection)], connection=service.connection,
                   name="interactive.ghost")
    ghost.register_birth()
    dead = __import__("psutil").Popen(["true"])
    dead.wait()
    service.connection.hset(ghost.key, "pid", dead.pid)
    assert "interactive.ghost" in {w["name"] for w in service.monitor()["workers"]}

    final = service.wait(service.enqueue("resource_management.cleanup"), timeout_s=60)
    assert final["state"] == "finished", final
    assert final["result"]["temp_dirs"] == ["job-from-a-crash"]
    assert "interactive.ghost" in final["result"]["stale_workers"]
    assert not old.exists() and fresh.exists()
    assert "interactive.ghost" not in {w["name"] for w in service.monitor()["workers"]}
