"""The command line of docs/design.md, run as a user runs it."""
import json
import signal
import subprocess
import sys

import psutil

from helpers.processes import processes_using, run_cli
from helpers.waiting import wait_until


def test_status_when_nothing_runs_starts_nothing(home):
    result = run_cli("status", "--json", home=home)
    assert result.returncode == 3
    info = json.loads(result.stdout)
    assert info["redis"]["running"] is False
    assert not processes_using(home)


def test_a_cli_call_on_an_idle_machine_leaves_no_process_behind(home):
    result = run_cli("jobs", "--json", home=home)
    assert result.returncode == 0, result.stderr
    jobs = json.loads(result.stdout)
    # the call started Redis and enqueued the start-up cleanup, then stopped everything
    assert [j["name"] for j in jobs] == ["resource_management.cleanup"]
    assert not processes_using(home)
    assert not (home / "run" / "redis.sock").exists()


def test_cancel_of_an_unknown_job_is_one_clear_sentence(home):
    result = run_cli("cancel", "deadbeef", home=home)
    assert result.returncode == 1
    assert result.stderr.strip() == "repowiki: No job with id deadbeef exists (it may have expired)."
    assert not processes_using(home)


def test_worker_with_an_unknown_queue_is_refused(home):
    result = run_cli("worker", "--queues", "nope", "--burst", home=home)
    assert result.returncode == 1
    assert result.stderr.startswith("repowiki: Unknown queue(s) nope; queues are qa, retrieval")


def test_worker_without_a_running_redis_says_so(home):
    result = run_cli("worker", "--queues", "qa", "--burst", home=home)
    assert result.returncode == 1
    assert "No Redis is running for" in result.stderr


def test_serve_is_reused_by_cli_calls_and_stops_cleanly_on_ctrl_c(home, tmp_path):
    serve = subprocess.Popen([sys.executable, "-m", "repowiki_gui", "--home", str(home), "serve"],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        line = serve.stdout.readline()
        assert "serving" in line, line
        redis_pid = int((home / "run" / "redis.pid").read_text())

        status = json.loads(run_cli("status", "--json", home=home).stdout)
        assert status["redis"]["running"] and status["redis"]["pid"] == redis_pid
        assert status["redis"]["tcp_port"] == 0
        kinds = sorted(w["kind"] for w in status["workers"])
        assert kinds == ["bulk", "interactive"]

        # a CLI call with workers reuses serve's Redis and workers and stops none of them
        from repowiki_gui.jobs.manager import ServiceManager
        from repowiki_gui.jobs.service import JobService

        manager = ServiceManager(home).start(workers=True)
        assert not manager.owns_anything
        service = JobService(manager.connection(), manager.settings, manager.home)
        marker = tmp_path / "busy"
        blocker = service.submit("helpers.jobfuncs.sleeper", "indexing", "test.sleep", (str(marker), 120))
        wait_until(marker.exists, what="serve's bulk worker to start the job")
        queued = service.submit("helpers.jobfuncs.add", "indexing", "test.add", (1, 1))
        manager.stop()
        assert psutil.pid_exists(redis_pid)

        result = run_cli("cancel", queued, home=home)
        assert result.returncode == 0 and result.stdout.strip() == f"{queued}: canceled"
        result = run_cli("cancel", blocker, home=home)
        assert result.stdout.strip() == f"{blocker}: stopping"
        jobs = json.loads(run_cli("jobs", "--json", home=home).stdout)
        states = {j["id"]: j["state"] for j in jobs}
        assert states[queued] == "canceled"
        wait_until(lambda: {j["id"]: j["state"] for j in json.loads(
            run_cli("jobs", "--json", home=home).stdout)}[blocker] == "stopped", what="the stop")
        assert psutil.pid_exists(redis_pid)
    finally:
        serve.send_signal(signal.SIGINT)
        assert serve.wait(30) == 0
        serve.stdout.close()
    assert not psutil.pid_exists(redis_pid)
    assert not processes_using(home)


def test_worker_by_hand_joins_a_running_redis(home, services, tmp_path):
    from repowiki_gui.jobs.service import JobService

    service = JobService(services.connection(), services.settings, services.home)
    # stop the managed bulk worker from taking the job: it is busy with a long one
    marker = tmp_path / "busy"
    blocker = service.submit("helpers.jobfuncs.sleeper", "indexing", "t", (str(marker), 120))
    wait_until(marker.exists, what="the blocker to start")
    job_id = service.submit("helpers.jobfuncs.add", "specs", "test.add", (5, 6))
    result = run_cli("worker", "--queues", "specs", "--burst", home=home, timeout=60)
    assert result.returncode == 0, result.stderr
    final = service.status(job_id)
    assert final["state"] == "finished" and final["result"] == 11
    assert final["worker"].startswith("bulk.")
    service.cancel(blocker)
    service.wait(blocker, timeout_s=30)
