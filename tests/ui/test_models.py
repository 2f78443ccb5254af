"""The item models pass qtmodeltester with realistic rows, before and after updates."""
from repowiki_gui.ui.repo_list import RepoListModel
from repowiki_gui.ui.tasks_panel import TaskModel
from repowiki_gui.ui.widgets import PROGRESS_ROLE


def job(job_id, state="started", progress=40.0, name="indexing.index_zip", repo="demo", **extra):
    row = {"id": job_id, "name": name, "queue": "indexing", "state": state,
           "progress": {"stage": "embed", "message": f"Embedded {int(progress)} chunks", "progress": progress,
                        "processed": int(progress), "total": 100, "timestamp": "2026-01-01T00:00:00"},
           "result": None, "error": None, "traceback": None, "enqueued_at": "2026-01-01T00:00:00",
           "started_at": "2026-01-01T00:00:01", "ended_at": None, "duration_s": 3.5, "worker": "bulk-1",
           "retries_left": None, "expired": False, "repo": repo}
    row.update(extra)
    return row


REPOS = [{"name": "flask", "zip_path": "/z/flask.zip", "zip_sha256": "ab", "files": 216, "skipped": {},
          "chunks": 2288, "languages": {"python": 200}, "indexed_at": "2026-01-01T00:00:00"},
         {"name": "demo", "zip_path": "/z/demo.zip", "zip_sha256": "cd", "files": 2, "skipped": {},
          "chunks": 5, "languages": {"python": 2}, "indexed_at": "2026-01-01T00:00:00"}]


def test_repo_list_model(qtmodeltester):
    model = RepoListModel()
    model.set_repos(REPOS)
    qtmodeltester.check(model)
    assert [model.index(r, 0).data() for r in range(model.rowCount())] == ["demo", "flask"]

    model.set_jobs([job("j2", repo="newrepo", progress=10.0), job("j1", repo="demo", progress=55.0)])
    qtmodeltester.check(model)
    rows = {model.index(r, 0).data(): r for r in range(model.rowCount())}
    assert model.index(rows["demo"], RepoListModel.STATE).data() == "indexing"
    assert model.index(rows["demo"], RepoListModel.PROGRESS).data(PROGRESS_ROLE) == 55
    assert model.index(rows["newrepo"], RepoListModel.CHUNKS).data() == 0

    model.set_jobs([job("j2", repo="newrepo", state="finished"), job("j1", repo="demo", state="finished")])
    model.set_repos(REPOS + [dict(REPOS[1], name="newrepo", chunks=9)])
    qtmodeltester.check(model)
    states = {model.index(r, 0).data(): model.index(r, RepoListModel.STATE).data() for r in range(model.rowCount())}
    assert states == {"demo": "ready", "flask": "ready", "newrepo": "ready"}


def test_task_model_updates_minimally(qtmodeltester, qtbot):
    model = TaskModel()
    model.set_jobs([job("b"), job("a", state="finished", progress=100.0)])
    qtmodeltester.check(model)
    assert model.index(0, TaskModel.PROGRESS).data(PROGRESS_ROLE) == 40
    assert model.index(1, TaskModel.PROGRESS).data(PROGRESS_ROLE) is None

    resets = []
    model.modelReset.connect(lambda: resets.append(1))
    with qtbot.waitSignal(model.dataChanged):
        model.set_jobs([job("b", progress=70.0), job("a", state="finished", progress=100.0)])
    assert model.index(0, TaskModel.PROGRESS).data() == "70%"
    with qtbot.waitSignal(model.rowsInserted):
        model.set_jobs([job("c", state="queued", progress=0.0), job("b", progress=80.0)])
    qtmodeltester.check(model)
    assert [model.index(r, 0).data(TaskModel.JOB_ID_ROLE) for r in range(model.rowCount())] == ["c", "b"]
    assert not resets
    model.set_jobs([job("x", name="qa.retrieval", state="failed", error="Boom.")])
    qtmodeltester.check(model)
    assert model.index(0, TaskModel.MESSAGE).data() == "Boom."
