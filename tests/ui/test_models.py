"""The item models pass qtmodeltester with realistic rows, before and after updates."""
from repowiki_gui.ui.repo_list import RepoListModel
from repowiki_gui.ui.tasks_panel import TaskModel
from repowiki_gui.ui.widgets import PROGRESS_ROLE

from helpers.bridge_rows import REPOS, job


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
