"""Issue 7, point 3: load on the real services (bundled Redis, workers, ONNX embedder, GGUF model).

The scenarios live in tests/helpers/load_scenarios.py (bench/faults_load.py and the fault report
run them too); here they run on the test's data dir and every promise is asserted. Times are
printed, never asserted.
"""
from __future__ import annotations

import dataclasses

import pytest

from helpers import load_scenarios as load


@pytest.fixture
def load_settings(fast_settings):
    # Short answers: the load is in the number of questions, and 100 of them must fit in CI.
    # One llama.cpp thread: on 2 busy cores (a CI machine, an indexing job) 2 threads were measured
    # 5-15x slower per answer (1.5 s -> 10-26 s), 1 thread steady; idle, 2 threads take 0.4 s.
    return dataclasses.replace(fast_settings, llm_max_tokens=8, llm_threads=1)


@pytest.mark.timeout(600)
def test_100_questions_from_4_clients_are_each_answered_once(home, tmp_path, load_settings):
    run = load.questions_from_clients(home, tmp_path, load_settings, clients=4, per_client=25)
    print(f"\n100 questions from 4 clients: {len(run.records)} answers in {run.wall_s:.1f} s "
          f"({len(run.records) / run.wall_s:.2f} answers/s); {run.outcome().observed}")
    assert run.errors == []
    assert len(run.records) == 100 and len({r["tag"] for r in run.records}) == 100
    ids = [r[k] for r in run.records for k in ("retrieval_id", "answer_id")]
    assert len(set(ids)) == 200
    assert run.finished == 100
    assert all(r["tokens"] > 0 and r["answer"] for r in run.records)
    # check_answers: each job finished and ran once (history attempts 1), one `done` event per
    # answer stream, the jobs' args hold their own question, the first reference is the file of
    # the question's topic, one conversation turn per question with its answer, queues empty.
    assert run.problems == []


@pytest.mark.timeout(600)
def test_20_zips_queued_at_once_are_all_indexed_as_if_alone(home, tmp_path, load_settings):
    run = load.zips_at_once(home, tmp_path, load_settings, count=20)
    print(f"\n20 ZIPs at once on 2 bulk workers: {run.outcome().observed}")
    assert {name: st["state"] for name, st in run.final.items()} == {name: "finished" for name in run.expected}
    assert {name: row["files"] for name, row in run.listed.items()} == run.expected  # `repowiki repos --json`
    assert len(run.alone) == 3
    assert {name: run.listed[name]["chunks"] for name in run.alone} == run.alone
    assert run.problems == []


@pytest.mark.timeout(600)
def test_answers_do_not_wait_behind_a_full_indexing_queue(home, tmp_path, load_settings):
    run = load.answers_under_bulk_load(home, tmp_path, load_settings, questions=5, indexing_jobs=12)
    print(f"\nanswer latency: idle {[round(s, 2) for s in run.idle_s]} s, bulk queue full "
          f"{[round(s, 2) for s in run.loaded_s]} s, ratio of medians {run.ratio:.2f}; "
          f"indexing jobs left when each answer ended: {run.pending_at_answer}")
    assert len(run.loaded_s) == 5
    assert all(n > 0 for n in run.pending_at_answer)
    assert run.problems == []
