"""The task history keeps each job's repository, also in a data dir made before it did."""
import sqlite3

from repowiki_gui.jobs.catalog import spec_for
from repowiki_gui.jobs.history import TaskHistory
from repowiki_gui.jobs.names import GENERATE_ANSWER, INDEX_ZIP

OLD_SCHEMA = """CREATE TABLE task_history (job_id TEXT PRIMARY KEY, name TEXT NOT NULL, args TEXT NOT NULL DEFAULT '',
    queue TEXT NOT NULL, enqueued_at TEXT, started_at TEXT, ended_at TEXT, duration_s REAL,
    outcome TEXT NOT NULL DEFAULT 'queued', error TEXT, attempts INTEGER NOT NULL DEFAULT 0)"""


def test_an_old_history_gains_the_repo_column_and_keeps_its_rows(tmp_path):
    db = tmp_path / "app.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute(OLD_SCHEMA)
        conn.execute("INSERT INTO task_history(job_id, name, queue, outcome) VALUES ('old', 'x', 'qa', 'finished')")
    history = TaskHistory(db)
    history.queued("new", INDEX_ZIP, "indexing", '"/tmp/a.zip", "demo"', "demo")
    rows = {r["job_id"]: r for r in history.recent()}
    assert rows["old"]["repo"] is None and rows["old"]["outcome"] == "finished"
    assert rows["new"]["repo"] == "demo"


def test_each_task_names_the_repository_it_is_about():
    index = spec_for(INDEX_ZIP)
    assert index.repo_of(("/data/My Project (1).zip",), {}) == "My-Project-1"   # the ZIP's stem
    assert index.repo_of(("/data/x.zip", "shop"), {}) == "shop"
    assert index.repo_of(("/data/x.zip",), {"name": "shop"}) == "shop"
    assert spec_for(GENERATE_ANSWER).repo_of(("shop", "why?", "job-1", None), {}) == "shop"
    assert spec_for("resource_management.cleanup").repo_of((), {}) is None
