"""Issue 7, point 1: the data dir's disk fills up (a small tmpfs) under a real index job and under Redis."""
from __future__ import annotations

import pytest

from helpers.crash_scenarios import MountNotPermitted, disk_full_mid_index


@pytest.mark.timeout(400)
def test_a_full_disk_is_one_clear_sentence_and_the_index_stays(home, fast_settings, tmp_path):
    try:
        facts = disk_full_mid_index(tmp_path, fast_settings)
    except MountNotPermitted as exc:
        pytest.skip(f"a small tmpfs is needed for the data dir and {exc}")
    assert facts["state"] == "failed"
    assert facts["error"].startswith("The disk holding the data dir is full (") and facts["error"].count(". ") == 0
    assert facts["runs_of_failed_job"] == 1  # never retried: a retry seconds later would fail the same way
    assert facts["chunks_after"] == facts["v1_chunks"] and facts["searchable_after"]
    # with no byte left, Redis refuses writes (MISCONF) and the CLI says why in one line
    assert facts["redis_refuses_writes"]
    assert facts["cli_full_exit"] == 1, facts["cli_full_err"]
    # (a first start may print the model's assembly above it, on its own lines)
    assert facts["cli_full_err"].splitlines()[-1].startswith("repowiki: The disk holding the data dir ")
    # space back: Redis takes writes again by itself, the supervisor replaced a worker that died meanwhile
    assert facts["redis_recovers"] and facts["supervisor_alive"]
    assert facts["after_space_freed"] == "finished" and facts["search_after_space_freed"]
