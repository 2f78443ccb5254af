"""The manager keeps workers alive, fails the jobs of dead ones, and heartbeats long answers."""
import os
import signal

import psutil

from helpers.waiting import wait_until


def _worker(services, kind):
    return next(wp for wp in services.workers if wp.kind == kind)


def _registered(service, name):
    return any(w["name"] == name for w in service.monitor()["workers"])


def test_kill_9_of_a_bulk_worker_mid_job_fails_the_job_and_restarts_the_worker(services, service, tmp_path):
    marker = tmp_path / "started"
    job_id = service.submit("helpers.jobfuncs.sleeper", "indexing", "test.sleep", (str(marker), 300), retry=False)
    wait_until(marker.exists, what="the job to start")
    horse = int(marker.read_text())
    victim = _worker(services, "bulk")
    os.kill(victim.proc.pid, signal.SIGKILL)

    final = service.wait(job_id, timeout_s=30)
    assert final["state"] == "failed"
    assert "worker running this job died" in final["error"]
    assert service.history.get(job_id)["outcome"] == "failed"
    # the orphaned job process is gone too
    wait_until(lambda: not psutil.pid_exists(horse) or psutil.Process(horse).status() == psutil.STATUS_ZOMBIE,
               what="the orphan job process to die")
    replacement = wait_until(lambda: next((wp for wp in services.workers
                                           if wp.kind == "bulk" and wp.name != victim.name), None),
                             what="a replacement worker")
    wait_until(lambda: _registered(service, replacement.name), what="the replacement to register")
    assert not _registered(service, victim.name)
    assert services.restarts == 1
    # and the new worker does work
    assert service.wait(service.submit("helpers.jobfuncs.add", "indexing", "t", (3, 4)), timeout_s=30)["result"] == 7


def test_kill_9_of_the_interactive_worker_mid_answer(services, service):
    job_id = service.submit("helpers.jobfuncs.steps", "qa", "test.steps", (5000, None, 0.01), retry=False)
    wait_until(lambda: service.status(job_id)["state"] == "started", what="the answer to start")
    victim = _worker(services, "interactive")
    os.kill(victim.proc.pid, signal.SIGKILL)
    final = service.wait(job_id, timeout_s=30)
    assert final["state"] == "failed"
    wait_until(lambda: any(wp.kind == "interactive" and wp.name != victim.name for wp in services.workers),
               what="a replacement worker")
    assert service.wait(service.submit("helpers.jobfuncs.add", "qa", "t", (1, 2)), timeout_s=30)["result"] == 3


def test_interactive_worker_heartbeats_while_a_long_job_runs(services, service):
    """rq's SimpleWorker sends no heartbeat during a job; ours does, so the job is never abandoned."""
    conn = service.connection
    job_id = service.submit("helpers.jobfuncs.steps", "qa", "test.steps", (400, None, 0.01))
    wait_until(lambda: service.status(job_id)["state"] == "started", what="the job to start")
    name = service.status(job_id)["worker"]
    registry_key = "rq:wip:qa"

    def beat():
        return conn.hget(f"rq:worker:{name}", "last_heartbeat"), conn.zrange(registry_key, 0, -1, withscores=True)

    first_beat, first_entries = beat()
    # monitoring interval is 1 s: within the job's ~4 s the heartbeat must move on twice
    seen = {first_beat}
    wait_until(lambda: seen.add(beat()[0]) or len(seen) >= 3, timeout_s=10, what="two more heartbeats")
    later_entries = beat()[1]
    assert later_entries and first_entries
    assert later_entries[0][1] > first_entries[0][1]  # the started-registry deadline moved forward
    # the short TTL (interval + 60 s) would have expired long ago without the heartbeat thread
    assert later_entries[0][1] - first_entries[0][1] >= 1
    assert service.wait(job_id, timeout_s=60)["state"] == "finished"


def test_abandoned_jobs_of_a_previous_crash_are_failed_at_start(home, fast_settings, tmp_path):
    from repowiki_gui.jobs.manager import ServiceManager
    from repowiki_gui.jobs.service import JobService

    first = ServiceManager(home, fast_settings).start()
    service = JobService(first.connection(), first.settings, first.home)
    marker = tmp_path / "m"
    job_id = service.submit("helpers.jobfuncs.sleeper", "indexing", "t", (str(marker), 300), retry=False)
    wait_until(marker.exists, what="the job to start")
    # a crash of the whole app: every child dies at once, nobody tidies Redis
    first._stop.set()
    for wp in first.workers:
        os.killpg(wp.proc.pid, signal.SIGKILL)
        wp.proc.wait()
    os.killpg(int(marker.read_text()), signal.SIGKILL)
    os.kill(first.redis.pid, signal.SIGKILL)
    first.redis._proc.wait()

    second = ServiceManager(home, fast_settings).start()
    try:
        service = JobService(second.connection(), second.settings, second.home)
        final = service.status(job_id)
        assert final["state"] == "failed"
        names = {w["name"] for w in service.monitor()["workers"]}
        assert names == {wp.name for wp in second.workers}  # stale registrations are gone
    finally:
        second.stop()


def test_a_worker_exits_when_the_process_that_started_it_dies(services, home):
    """A manager killed with -9 must not leave its workers running."""
    import subprocess
    import sys

    starter = subprocess.Popen(
        [sys.executable, "-c",
         "import os, subprocess, sys, time\n"
         f"p = subprocess.Popen([sys.executable, '-m', 'repowiki_gui', '--home', {str(home)!r}, 'worker',"
         " '--queues', 'maintenance', '--parent-pid', str(os.getpid())], start_new_session=True,"
         " stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
         "print(p.pid, flush=True)\n"
         "time.sleep(300)\n"],
        stdout=subprocess.PIPE, text=True)
    worker_pid = int(starter.stdout.readline())
    conn = services.connection()
    wait_until(lambda: any(int(conn.hget(k, "pid") or 0) == worker_pid for k in conn.smembers("rq:workers")),
               what="the hand-started worker to register")
    starter.kill()
    starter.wait()
    starter.stdout.close()
    wait_until(lambda: not psutil.pid_exists(worker_pid)
               or psutil.Process(worker_pid).status() == psutil.STATUS_ZOMBIE, what="the orphaned worker to exit")
