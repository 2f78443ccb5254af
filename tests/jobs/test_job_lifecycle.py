"""A job's life on real workers against the real Redis binary."""
import pytest

from repowiki_gui.core.errors import JobNotFound, UserError
from repowiki_gui.jobs.catalog import TASKS

from helpers.waiting import wait_until


def test_job_goes_from_queued_to_finished_and_a_reader_sees_progress(service):
    seen = []
    job_id = service.submit("helpers.jobfuncs.steps", "indexing", "test.steps", (8,))
    final = service.wait(job_id, on_update=seen.append, poll_s=0.01, timeout_s=60)
    assert final["state"] == "finished"
    assert final["result"] == {"steps": 8}
    assert seen[0]["state"] in ("queued", "started")
    midway = [s["progress"]["processed"] for s in seen if s["state"] == "started"]
    assert any(0 < p < 8 for p in midway), seen  # progress was visible while it ran
    assert midway == sorted(midway)
    assert final["progress"]["stage"] == "steps"
    assert final["progress"]["processed"] == 8 and final["progress"]["total"] == 8
    assert final["progress"]["progress"] == 100.0
    assert set(final["progress"]) == {"stage", "message", "progress", "processed", "total", "timestamp"}
    row = service.history.get(job_id)
    assert row["outcome"] == "finished" and row["queue"] == "indexing" and row["args"] == "8"
    assert row["started_at"] and row["ended_at"] and row["duration_s"] >= 0


def test_failure_carries_its_message_and_traceback(service):
    job_id = service.submit("helpers.jobfuncs.boom", "indexing", "test.boom", ("disk on fire",), retry=False)
    final = service.wait(job_id, timeout_s=60)
    assert final["state"] == "failed"
    assert final["error"] == "disk on fire"
    assert "Traceback" in final["traceback"] and "helpers/jobfuncs.py" in final["traceback"]
    assert service.history.get(job_id)["error"] == "disk on fire"


def test_transient_error_is_retried_then_succeeds(service, tmp_path):
    counter = tmp_path / "count"
    job_id = service.submit("helpers.jobfuncs.flaky", "indexing", "test.flaky", (str(counter), 2))
    final = service.wait(job_id, timeout_s=90)
    assert final["state"] == "finished", final
    assert final["result"] == {"attempts": 3}
    assert service.history.get(job_id)["attempts"] == 3


def test_user_error_is_never_retried(service):
    job_id = service.submit("helpers.jobfuncs.bad_input", "indexing", "test.bad")
    final = service.wait(job_id, timeout_s=60)
    assert final["state"] == "failed"
    assert final["error"] == "That ZIP is not a ZIP."
    assert service.history.get(job_id)["attempts"] == 1


def test_cancel_of_a_queued_job(service, tmp_path):
    marker = tmp_path / "busy"
    blocker = service.submit("helpers.jobfuncs.sleeper", "indexing", "test.sleep", (str(marker), 60))
    wait_until(marker.exists, what="the blocking job to start")
    queued = service.submit("helpers.jobfuncs.add", "indexing", "test.add", (1, 2))
    assert service.status(queued)["state"] == "queued"
    assert service.cancel(queued) == "canceled"
    assert service.status(queued)["state"] == "canceled"
    assert service.history.get(queued)["outcome"] == "canceled"
    service.cancel(blocker)
    assert service.wait(blocker, timeout_s=30)["state"] == "stopped"
    assert service.history.get(queued)["started_at"] is None  # it never ran


def test_stop_of_a_running_job_on_a_bulk_worker(service, tmp_path):
    marker = tmp_path / "started"
    job_id = service.submit("helpers.jobfuncs.sleeper", "indexing", "test.sleep", (str(marker), 120))
    wait_until(marker.exists, what="the job to start")
    horse = int(marker.read_text())
    assert service.cancel(job_id) == "stopping"
    final = service.wait(job_id, timeout_s=30)
    assert final["state"] == "stopped"
    assert final["error"] == "Cancelled by the user."
    wait_until(lambda: not _alive(horse), what="the job process to die")
    assert service.history.get(job_id)["outcome"] == "stopped"
    # the worker survives and takes the next job
    assert service.wait(service.submit("helpers.jobfuncs.add", "indexing", "t", (1, 1)), timeout_s=30)["result"] == 2


def test_cooperative_cancel_on_the_interactive_worker(service):
    job_id = service.submit("helpers.jobfuncs.steps", "qa", "test.steps", (2000, None, 0.01))
    wait_until(lambda: service.status(job_id)["progress"].get("processed", 0) > 3, what="progress")
    assert service.cancel(job_id) == "stopping"
    final = service.wait(job_id, timeout_s=30)
    assert final["state"] == "stopped"
    assert final["progress"]["processed"] < 2000
    # the in-process worker is still alive and answers the next question
    assert service.wait(service.submit("helpers.jobfuncs.add", "qa", "t", (2, 2)), timeout_s=30)["result"] == 4


def test_qa_finishes_while_a_long_indexing_job_occupies_the_bulk_worker(service, tmp_path):
    marker = tmp_path / "indexing"
    long_job = service.submit("helpers.jobfuncs.sleeper", "indexing", "test.sleep", (str(marker), 120))
    wait_until(marker.exists, what="the indexing job to start")
    qa = service.submit("helpers.jobfuncs.add", "qa", "test.add", (20, 22))
    assert service.wait(qa, timeout_s=30)["result"] == 42
    assert service.status(long_job)["state"] == "started"
    monitor = service.monitor()
    assert monitor["queues"]["indexing"]["started"] == 1
    busy = [w for w in monitor["workers"] if w["current_job"] == long_job]
    assert busy and busy[0]["kind"] == "bulk" and busy[0]["last_heartbeat"]
    service.cancel(long_job)
    service.wait(long_job, timeout_s=30)


def test_soft_time_limit_stops_a_job_at_its_checkpoint(service):
    service.settings.job_soft_limit_s = 1
    job_id = service.submit("helpers.jobfuncs.steps", "indexing", "test.steps", (1000, None, 0.01))
    final = service.wait(job_id, timeout_s=60)
    assert final["state"] == "failed"
    assert "soft time limit" in final["error"]
    assert service.history.get(job_id)["attempts"] == 1  # not retried


def test_seed_names_enqueue_on_their_queues(service, tmp_path):
    (tmp_path / "a.txt").write_text("one\ntwo\n")
    (tmp_path / "b.py").write_text("print(1)\n")
    job_id = service.enqueue("batch.process_files", str(tmp_path), ["a.txt", "b.py"], 1)
    final = service.wait(job_id, timeout_s=60)
    assert final["name"] == "batch.process_files" and final["queue"] == "indexing"
    assert final["state"] == "finished"
    by_path = {r["path"]: r for r in final["result"]["results"]}
    assert by_path["a.txt"]["lines"] == 2 and len(by_path["b.py"]["sha256"]) == 64
    assert {t.queue for t in TASKS.values()} == {"indexing", "specs", "retrieval", "qa", "maintenance"}
    with pytest.raises(UserError):
        service.enqueue("no.such_task")


def test_results_and_failures_have_explicit_ttls(service):
    job_id = service.submit("helpers.jobfuncs.add", "qa", "test.add", (1, 1))
    service.wait(job_id, timeout_s=30)
    ttl = service.connection.ttl(f"rq:job:{job_id}")
    assert 0 < ttl <= service.settings.result_ttl_s
    failed = service.submit("helpers.jobfuncs.boom", "qa", "test.boom", retry=False)
    service.wait(failed, timeout_s=30)
    ttl = service.connection.ttl(f"rq:job:{failed}")
    assert service.settings.result_ttl_s < ttl <= service.settings.failure_ttl_s


def test_unknown_job_id_is_a_clear_error(service):
    with pytest.raises(JobNotFound, match="No job with id nope"):
        service.status("nope")
    with pytest.raises(JobNotFound):
        service.cancel("nope")


def _alive(pid):
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_a_failed_job_can_be_run_again(service, tmp_path):
    counter = tmp_path / "count"
    job_id = service.submit("helpers.jobfuncs.flaky", "indexing", "test.flaky", (str(counter), 1), retry=False)
    assert service.wait(job_id, timeout_s=30)["state"] == "failed"
    assert service.requeue(job_id) == "queued"
    final = service.wait(job_id, timeout_s=30)
    assert final["state"] == "finished" and final["result"] == {"attempts": 2}
    with pytest.raises(UserError, match="only failed or cancelled jobs"):
        service.requeue(job_id)
