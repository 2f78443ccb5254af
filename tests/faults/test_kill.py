"""Issue 7, point 1: kill -9 of a job process and of Redis in the middle of real index jobs.

Already proven in tests/jobs/test_supervision.py and not repeated: kill -9 of a bulk or the
interactive *worker* fails its job and the worker is replaced; abandoned jobs of a whole-app
crash are failed at the next start. Here the victims are the forked job process itself and the
Redis server, each in the middle of a real index job (real ONNX model, real LanceDB).
"""
from __future__ import annotations

import pytest

from helpers.crash_scenarios import kill_job_process_mid_embed, kill_redis_mid_job


@pytest.mark.timeout(400)
def test_kill_9_of_the_job_process_mid_embed_keeps_v1_and_a_rerun_equals_a_clean_index(home, fast_settings,
                                                                                        tmp_path):
    facts = kill_job_process_mid_embed(tmp_path, fast_settings)
    assert facts["stage_at_kill"] == "embed"
    assert facts["chunks_during"] == facts["chunks_after_kill"] == facts["v1_chunks"] > 0
    assert facts["searchable_during"] and facts["searchable_after_kill"]
    assert facts["state"] in ("finished", "failed")
    assert facts.get("rerun_state", "finished") == "finished"
    assert facts["same_as_clean"], (len(facts["rerun_chunks"]), len(facts["clean_chunks"]))


@pytest.mark.timeout(400)
def test_kill_9_of_redis_mid_job_restarts_it_and_loses_or_strands_no_job(home, fast_settings, tmp_path):
    facts = kill_redis_mid_job(tmp_path, fast_settings)
    assert facts["queued_before_kill"] == "queued"
    assert facts["redis_restarted"] and facts["same_socket_and_password"]
    assert facts["running_state"] in ("finished", "failed")  # a retry ends in one of these too
    assert facts["queued_state"] == "finished" and facts["second_chunks"] > 0
