"""Issue 7, point 1: quitting the CLI or the window in the middle of a real index job, then starting again.

Already proven elsewhere, not repeated: a whole-app crash (every child killed) fails the abandoned
job at the next start (tests/jobs/test_supervision.py); `repowiki serve` stops cleanly on Ctrl-C
(tests/jobs/test_cli.py). Here the job is a real index job caught mid-embed.
"""
from __future__ import annotations

import pytest

from helpers.crash_scenarios import (
    app_quit_mid_index,
    cli_ctrl_c_mid_index,
    cli_killed_mid_index,
)


@pytest.mark.timeout(300)
def test_ctrl_c_of_repowiki_index_mid_embed_stops_the_job_and_leaves_nothing(home, tmp_path):
    facts = cli_ctrl_c_mid_index(tmp_path)
    assert facts["exit"] == 130 and facts["stderr"].endswith("repowiki: cancelled"), facts
    assert facts["left_running"] == []
    assert facts["job_state"] == "stopped"


@pytest.mark.timeout(400)
def test_kill_9_of_repowiki_index_mid_embed_then_start_again(home, tmp_path):
    facts = cli_killed_mid_index(tmp_path)
    # abandoned: failed, or retried (scheduled/queued) with its last progress still shown; never "started"
    assert facts["job_state_after_restart"] in ("failed", "scheduled", "queued"), facts
    if facts["job_state_after_restart"] == "failed":
        assert "worker running this job died" in facts["job_error"]
    else:
        assert facts["progress_shown"] == "embed"
    assert facts["index_again_exit"] == 0, facts["index_again_err"]
    assert facts["left_running"] == []


@pytest.mark.timeout(400)
def test_quitting_the_app_mid_embed_then_starting_again_runs_the_job_to_its_end(home, fast_settings, tmp_path):
    facts = app_quit_mid_index(tmp_path, fast_settings)
    # failed-abandoned, or retried: scheduled, queued, or already running again (started) by the new workers
    assert facts["state_at_restart"] in ("failed", "scheduled", "queued", "started", "finished"), facts
    assert facts["progress_at_restart"], facts  # the last progress is readable, not lost
    assert facts["final_state"] in ("finished", "failed")
    if facts["state_at_restart"] != "failed":
        assert facts["final_state"] == "finished"
