"""Issue 7, point 4: a private Redis, a private data dir, nothing from a ZIP runs, no markup renders.

Already proven elsewhere, not repeated here:
* tests/jobs/test_redis_server.py::test_private_socket_password_and_no_tcp — a client without the
  password gets AuthenticationError; ``CONFIG GET port`` is 0 and ``tcp_port`` 0; the redis pid has
  no listening inet socket; data dir 0700, password file 0600, socket closed to group and others.
* tests/ui/test_source_view.py::test_source_text_is_never_html and
  tests/ui/test_chat_panel.py::test_answer_text_is_never_html — ``<img src=x onerror=...>`` in a file
  and in an answer show as text, with no image or bold format in the document.
What this file adds: the same promises on the system as it runs (manager, workers, a real index job),
a data dir that existed before with open permissions, a wrong password, the workers' sockets, ZIP
files that a careless tool would run, and markup in *paths and symbols* that came from a real index.
"""
from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import psutil
import pytest
import redis

from helpers.fake_bridge import FakeBridge  # the UI tests' stand-in bridge, with the real signals
from helpers.hostile_zips import BY_NAME, EXECUTABLE_BAIT, HTML_BAIT, build, marker_path
from helpers.processes import processes_using

EVIL_NAME = "<img src=x onerror=alert(1)>.py"


@pytest.fixture
def open_home(home):
    """A data dir the user made before, readable by everyone: starting must close it."""
    home.mkdir(mode=0o755, exist_ok=True)  # the home fixture made it (0700): opened below
    os.chmod(home, 0o755)
    return home


def private(path: Path) -> bool:
    return stat.S_IMODE(path.stat().st_mode) & 0o077 == 0


@pytest.mark.timeout(600)
def test_a_running_system_is_private_and_runs_nothing_from_a_zip(open_home, services, service, tmp_path):
    home = open_home
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    for path in (home / "run", home / "redis", home / "run" / "redis.secret", home / "run" / "redis.conf"):
        assert private(path), path

    wrong = redis.Redis(unix_socket_path=str(home / "run" / "redis.sock"), password="guess")
    with pytest.raises(redis.AuthenticationError):
        wrong.ping()
    wrong.close()
    # Neither Redis nor any worker of this data dir listens on a TCP port.
    pids = {int((home / "run" / "redis.pid").read_text())} | {p.pid for p in processes_using(home)}
    assert len(pids) >= 3  # redis, the interactive worker, the bulk worker
    for pid in pids:
        proc = psutil.Process(pid)
        for child in (proc, *proc.children(recursive=True)):
            listening = [c for c in child.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN]
            assert not listening, (child.cmdline(), listening)

    # conftest.py, setup.py, __init__.py and sitecustomize.py that would write a marker if run or imported,
    # indexed by the real job in a forked work horse of the bulk worker.
    zip_path = build(BY_NAME["executable_bait"], tmp_path / "corpus")
    job_id = service.enqueue("indexing.index_zip", str(zip_path), "bait")
    final = service.wait(job_id, timeout_s=300)
    assert final["state"] == "finished", final
    assert final["result"]["files"] == len(BY_NAME["executable_bait"].paths)
    assert not marker_path(zip_path.parent).exists()
    # Nothing of the ZIP was unpacked anywhere in the data dir: its files live only in the index.
    names = {Path(p).name for p in EXECUTABLE_BAIT}
    assert not [p for p in home.rglob("*") if p.name in names]


@pytest.fixture
def indexed_markup(tmp_path):
    """A real index (LanceDB, fake embedder) of a ZIP whose file text, path and symbols carry markup."""
    import zipfile

    from repowiki_gui.core.index.indexer import index_zip
    from repowiki_gui.core.index.repositories import RepoRegistry
    from repowiki_gui.core.index.store import ChunkStore
    from repowiki_gui.core.ingest.files import IngestLimits
    from helpers.fakes import FakeEmbedder

    code = f"def evil():\n    return '{HTML_BAIT.strip()}'\n"
    zip_path = build(BY_NAME["html_in_file"], tmp_path / "corpus")
    with zipfile.ZipFile(zip_path, "a") as zf:
        zf.writestr(f"repo/{EVIL_NAME}", code)
    embedder = FakeEmbedder()
    store = ChunkStore(tmp_path / "lancedb", embedder.dim)
    index_zip(zip_path, "web", store=store, registry=RepoRegistry(tmp_path / "app.sqlite"),
              embedder=embedder, limits=IngestLimits())
    return store


def assert_no_rich_formats(document) -> None:
    from PySide6.QtGui import QTextFormat

    block = document.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fmt = it.fragment().charFormat()
            assert not fmt.isImageFormat() and fmt.objectType() != QTextFormat.ObjectTypes.ImageObject
            assert fmt.anchorHref().startswith("ref:") or not fmt.isAnchor(), fmt.anchorHref()
            it += 1
        block = block.next()
    assert "<img" not in document.toHtml()


def test_markup_in_paths_text_and_symbols_from_a_real_index_shows_as_text(qtbot, indexed_markup):
    from PySide6.QtCore import Qt

    from repowiki_gui.ui.chat_panel import ChatPanel

    store = indexed_markup
    page, evil = store.file_text("web", "page.html"), store.file_text("web", EVIL_NAME)
    assert page == HTML_BAIT.rstrip("\n") and "onerror" in evil
    rows = store.table().search().where("repo = 'web'").limit(None).to_list()
    row = next(r for r in rows if r["path"] == EVIL_NAME)
    bridge = FakeBridge(sources={("web", "page.html"): page, ("web", EVIL_NAME): evil})
    panel = ChatPanel(bridge)
    qtbot.addWidget(panel)
    bridge.reposChanged.emit([{"name": "web", "files": 4, "chunks": len(rows)}])

    view = panel.source_view
    view.show_range("web", EVIL_NAME, 1, 2)
    assert view.editor.toPlainText() == evil
    title = view.findChild(type(view._title))
    assert EVIL_NAME in title.text() and title.textFormat() == Qt.TextFormat.PlainText
    assert_no_rich_formats(view.editor.document())

    panel.question.setText("where is evil?")
    qtbot.mouseClick(panel.ask_button, Qt.MouseButton.LeftButton)
    request_id = bridge.called("ask")[-1][0]
    bridge.answerStarted.emit(request_id, "job-1")
    refs = [{"path": row["path"], "start_line": row["start_line"], "end_line": row["end_line"],
             "symbol": f"{row['symbol']} <b>{HTML_BAIT.strip()}</b>", "score": 0.9, "kind": "code"}]
    answer = f"It returns {HTML_BAIT.strip()} [1]"
    bridge.answerToken.emit("job-1", answer)
    bridge.answerDone.emit("job-1", {"answer": answer, "references": refs, "stopped": False, "conversation": "c"})
    text = panel.transcript.toPlainText()
    assert HTML_BAIT.strip() in text and EVIL_NAME in text
    assert_no_rich_formats(panel.transcript.document())


def test_onnxruntime_telemetry_is_off_in_every_process(tmp_path):
    """onnxruntime's 1DS telemetry writes a device id under ~/.cache/Microsoft before it uploads: none appears."""
    import subprocess

    # onnxruntime stays quiet on CI machines by itself (it reads CI and friends): hide them, or the
    # check would pass without RepoWiki's opt-out
    hidden = {"ORT_DISABLE_TELEMETRY", "CI", "GITHUB_ACTIONS", "TF_BUILD", "BUILD_BUILDID", "JENKINS_URL"}
    env = {k: v for k, v in os.environ.items() if k not in hidden}
    env["HOME"] = str(tmp_path)
    code = ("import repowiki_gui\nfrom repowiki_gui.core.models.embedder import OnnxEmbedder\n"
            "print(OnnxEmbedder().embed(['x']).shape)")
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert not list(tmp_path.rglob("*")), list(tmp_path.rglob("*"))
    # the control: without RepoWiki's opt-out, this onnxruntime does write its device id
    bare = subprocess.run([sys.executable, "-c", "import onnxruntime"], env=env, capture_output=True, timeout=120)
    assert bare.returncode == 0
    if not list(tmp_path.rglob("deviceid")):
        pytest.skip("this onnxruntime build has no telemetry to turn off")
