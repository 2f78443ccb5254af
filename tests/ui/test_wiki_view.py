"""The Wiki tab: markdown rendering, the page tree, links to pages and sources, generate and export."""
from __future__ import annotations

import json
import re

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtWidgets import QFileDialog, QTextBrowser

from repowiki_gui.core.wiki.folder import SPEC_TYPES
from repowiki_gui.ui.wiki_view import PAGE_ROLE, WikiPageModel, WikiView

from helpers.fake_bridge import FakeBridge

INDEX_MD = "# demo\n\nStart with the [overview](overview.md) or [flask.json](modules/flask-json.md).\n"
OVERVIEW_MD = """# Repository Overview

Some *prose*. <img src=x onerror=alert(1)> stays text.

See [the JSON module](modules/flask-json.md#dumps) and
[`dumps` in json/__init__.py](sources/src/flask/json/__init__.py.md#L3-L5).

## Code

```python
import os

def dumps(obj, **kwargs):
    return os.fspath(obj)  # a comment
```

## Layers

| Layer | Role |
|-------|------|
| app   | WSGI |

```mermaid
graph TD
  A[App] -->|dispatch| B(Blueprint)
  B --> C[View]
```
""" + "\n".join(f"filler line {i}\n" for i in range(80)) + """
## Last section

The end, see [Wikipedia](https://en.wikipedia.org/wiki/Flask).
"""
MODULE_MD = "# flask.json\n\n## dumps\n\nBack to the [overview](../overview.md).\n"
SOURCE = "import json\n\n\ndef dumps(obj):\n    return json.dumps(obj)\n"
PAGES = [{"path": "index.md", "title": "demo", "group": ""},
         {"path": "overview.md", "title": "Repository Overview", "group": ""},
         {"path": "modules/flask-json.md", "title": "flask.json", "group": "Modules"},
         {"path": "modules/flask-app.md", "title": "flask.app", "group": "Modules"},
         {"path": "api.md", "title": "API Reference", "group": ""}]


def write_wiki(folder, pages=PAGES, specs=("overview", "modules")):
    """A tiny wiki folder in the job's layout (wiki.json + docs/)."""
    docs = folder / "docs"
    (docs / "modules").mkdir(parents=True, exist_ok=True)
    (docs / "index.md").write_text(INDEX_MD)
    (docs / "overview.md").write_text(OVERVIEW_MD)
    (docs / "modules" / "flask-json.md").write_text(MODULE_MD)
    (folder / "wiki.json").write_text(json.dumps({
        "repo": folder.name, "generated_at": "2026-01-01T00:00:00", "model": "smollm2",
        "specs": list(specs), "pages": list(pages), "stats": {"pages": len(pages)}}))
    return folder


@pytest.fixture
def wiki_folder(tmp_path):
    return write_wiki(tmp_path / "wiki" / "demo")


@pytest.fixture
def bridge(wiki_folder):
    return FakeBridge(sources={("demo", "src/flask/json/__init__.py"): SOURCE},
                      wikis={"demo": wiki_folder})


@pytest.fixture
def view(qtbot, bridge):
    widget = WikiView(bridge)
    qtbot.addWidget(widget)
    widget.resize(1100, 700)
    widget.show()
    bridge.reposChanged.emit([{"name": "demo", "files": 3, "chunks": 9}, {"name": "bare", "files": 1, "chunks": 1}])
    return widget


def js(qtbot, view, script: str, timeout: int = 10_000):
    """The value of ``script`` (an expression) in the page on screen."""
    got = []
    view.browser.page().runJavaScript(f"JSON.stringify({script})", 0, got.append)
    qtbot.waitUntil(lambda: bool(got), timeout=timeout)
    return json.loads(got[0]) if got[0] else None   # undefined comes back as ""


def click(qtbot, view, selector: str) -> str:
    """Click the first element ``selector`` finds, as a person would; "missing" when there is none."""
    return js(qtbot, view, f"(function () {{ var a = document.querySelector({json.dumps(selector)});"
                           " if (!a) return 'missing: ' + document.title; a.click(); return 'clicked'; })()")


def on_screen(qtbot, view, page: str) -> None:
    qtbot.waitUntil(lambda: view.page_on_screen() == page, timeout=15_000)


def page_text(qtbot, view) -> str:
    return js(qtbot, view, "document.body.innerText")


def hrefs(qtbot, view) -> list[str]:
    return js(qtbot, view, "Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href'))")


# --- the page tree ------------------------------------------------------------------------
def test_page_tree_model(qtbot, qtmodeltester):   # qtbot: the QApplication a widget needs
    owner = QTextBrowser()
    model = WikiPageModel(owner)
    assert model.parent() is owner   # QObject.parent() still works beside the item-model overload
    qtmodeltester.check(model)
    model.set_pages(PAGES)
    qtmodeltester.check(model)
    top = [model.index(r, 0).data() for r in range(model.rowCount())]
    assert top == ["demo", "Repository Overview", "Modules", "API Reference"]
    modules = model.index(2, 0)
    assert modules.data(PAGE_ROLE) is None
    assert [model.index(r, 0, modules).data(PAGE_ROLE) for r in range(model.rowCount(modules))] == \
        ["modules/flask-json.md", "modules/flask-app.md"]
    assert model.index_of("modules/flask-app.md").parent() == modules
    assert model.pages() == ["index.md", "overview.md", "modules/flask-json.md", "modules/flask-app.md", "api.md"]
    model.set_pages(PAGES[:2])
    qtmodeltester.check(model)
    assert model.rowCount() == 2


# --- the view -------------------------------------------------------------------------------
def test_the_first_repository_shows_its_index_page(qtbot, view, bridge):
    assert bridge.called("loadWiki") == [("demo",)]
    assert view.current_page() == "index.md" and view.has_wiki()
    assert view.tree.currentIndex().data(PAGE_ROLE) == "index.md"
    on_screen(qtbot, view, "index.md")
    assert "Start with the overview" in page_text(qtbot, view)
    assert view.export_button.isEnabled()


def test_no_wiki_shows_the_empty_state_and_generate_asks_the_bridge(qtbot, view, bridge):
    view.set_repo("bare")
    assert view.current_repo() == "bare" and not view.has_wiki()
    assert view.stack.currentIndex() == 0
    assert view.empty_label.text() == "No wiki yet — Generate wiki"
    assert view.export_button.isEnabled()   # the export job writes the wiki first
    view.empty_button.click()
    assert bridge.called("generateWiki")[-1] == ("bare", list(SPEC_TYPES))
    view.generate_button.menu().actions()[0].trigger()   # "Only Repository Overview"
    assert bridge.called("generateWiki")[-1] == ("bare", ["overview"])


def test_export_asks_for_a_folder_then_the_bridge(qtbot, view, bridge, monkeypatch, tmp_path):
    answers = ["", str(tmp_path / "out")]
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: answers.pop(0))
    view.export_button.click()   # cancelled
    assert bridge.called("exportWiki") == []
    view.export_button.click()
    assert bridge.called("exportWiki") == [("demo", str(tmp_path / "out"))]


def test_clicking_a_tree_item_and_page_links_navigate(qtbot, view, bridge):
    view.tree.setCurrentIndex(view.model.index_of("overview.md"))
    assert view.current_page() == "overview.md"
    on_screen(qtbot, view, "overview.md")
    with qtbot.waitSignal(view.pageShown) as shown:   # a click in the page, as a person makes it
        assert click(qtbot, view, 'a[href="modules/flask-json.md#dumps"]') == "clicked"
    assert shown.args == ["demo", "modules/flask-json.md"]
    assert view.tree.currentIndex().data(PAGE_ROLE) == "modules/flask-json.md"
    assert hrefs(qtbot, view) == ["../overview.md"]
    with qtbot.waitSignal(view.pageShown):
        assert click(qtbot, view, "a") == "clicked"   # relative to modules/
    assert view.current_page() == "overview.md"
    view.follow_link(QUrl("missing.md"))
    qtbot.waitUntil(lambda: "missing.md is not in the wiki of demo." in page_text(qtbot, view))


def test_every_click_on_a_page_link_shows_the_page(qtbot, view):
    # The page set right after a refused link navigation was sometimes aborted by its end (about one
    # click in three here): the view sets it again.
    for _ in range(10):
        view.open_page("demo", "overview.md")
        on_screen(qtbot, view, "overview.md")
        with qtbot.waitSignal(view.pageShown, timeout=20_000) as shown:
            assert click(qtbot, view, 'a[href="modules/flask-json.md#dumps"]') == "clicked"
        assert shown.args == ["demo", "modules/flask-json.md"]


def test_a_source_link_opens_the_source_view_at_its_lines(qtbot, view, bridge):
    view.open_page("demo", "overview.md")
    on_screen(qtbot, view, "overview.md")
    assert any(h.startswith("sources/") for h in hrefs(qtbot, view))
    assert view.source_view.isHidden()
    with qtbot.waitSignal(view.source_view.rangeShown) as shown:
        assert click(qtbot, view, 'a[href^="sources/"]') == "clicked"
    assert shown.args == ["demo", "src/flask/json/__init__.py", 3, 5]
    assert view.source_view.isVisible() and view.source_view.highlighted_range() == (3, 5)
    assert view.current_page() == "overview.md"


def test_external_links_are_text_and_never_opened(qtbot, view, monkeypatch):
    from PySide6.QtGui import QDesktopServices

    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toString()))
    view.open_page("demo", "overview.md")
    on_screen(qtbot, view, "overview.md")
    assert not [h for h in hrefs(qtbot, view) if "://" in h]   # shown as text, with its address
    assert "Wikipedia ⟨https://en.wikipedia.org/wiki/Flask⟩" in page_text(qtbot, view)
    # Were a page to navigate anywhere else (a script, a form), the view refuses it and says so.
    js(qtbot, view, "(function () { var a = document.createElement('a'); a.href = 'https://example.com/';"
                    " document.body.appendChild(a); a.click(); return 1; })()")
    qtbot.waitUntil(lambda: "Not opened: https://example.com/" in view.status.text())
    for url in ("https://en.wikipedia.org/wiki/Flask", "javascript:alert(1)", "file:///etc/passwd"):
        view.follow_link(QUrl(url))
    assert opened == []
    assert view.current_page() == "overview.md" and view.page_on_screen() == "overview.md"


def test_the_page_follows_a_dark_palette(qtbot, view):
    from PySide6.QtGui import QColor, QPalette

    on_screen(qtbot, view, "index.md")
    assert js(qtbot, view, "document.documentElement.className") == "light"
    palette = view.palette()
    palette.setColor(QPalette.ColorRole.Base, QColor("#1e1f22"))
    palette.setColor(QPalette.ColorRole.Text, QColor("#dfe1e5"))
    view.setPalette(palette)
    view.open_page("demo", "overview.md")
    on_screen(qtbot, view, "overview.md")
    assert js(qtbot, view, "document.documentElement.className") == "dark"
    background = js(qtbot, view, "getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(30, 31, 34)"
    code = js(qtbot, view, "getComputedStyle(document.querySelector('.highlight .k')).color")
    assert code != js(qtbot, view, "getComputedStyle(document.body).color")   # coloured in the dark theme too


def test_a_reload_keeps_the_page_and_follows_new_pages(qtbot, view, bridge, wiki_folder):
    view.open_page("demo", "overview.md")
    (wiki_folder / "docs" / "architecture.md").write_text("# Architecture\n\nLayers.\n")
    write_wiki(wiki_folder, PAGES + [{"path": "architecture.md", "title": "Architecture", "group": ""}])
    bridge.wikiChanged.emit("other")
    assert bridge.called("loadWiki") == [("demo",)]
    bridge.wikiChanged.emit("demo")
    assert view.current_page() == "overview.md"
    assert view.model.index_of("architecture.md").isValid()
    write_wiki(wiki_folder, [p for p in PAGES if p["path"] != "overview.md"])
    bridge.wikiChanged.emit("demo")
    assert view.current_page() == "index.md"   # its page is gone: back to the home page


def test_open_page_at_a_line_of_another_repository(qtbot, view, bridge):
    view.set_repo("bare")
    view.open_page("demo", "overview.md", 54)   # a line of the filler below "## Layers"
    assert view.current_repo() == "demo" and view.current_page() == "overview.md"
    on_screen(qtbot, view, "overview.md")
    qtbot.waitUntil(lambda: js(qtbot, view, "window.scrollY") > 0)
    top = js(qtbot, view, "Math.round(document.getElementById('layers').getBoundingClientRect().top)")
    assert abs(top) <= 2   # the section that holds line 54 is at the top


def test_a_wiki_citation_in_the_chat_opens_the_wiki_tab(qtbot, bridge, qsettings, tmp_path):
    from repowiki_gui.ui.main_window import MainWindow

    window = MainWindow(bridge, qsettings, home=tmp_path)
    qtbot.addWidget(window)
    window.show()
    bridge.reposChanged.emit([{"name": "demo", "files": 3, "chunks": 9}])
    chat = window.chat
    chat.question.setText("what is in the overview?")
    chat.ask()
    request_id = bridge.called("ask")[-1][0]
    bridge.answerStarted.emit(request_id, "job-1")
    ref = {"path": "overview.md", "start_line": 9, "end_line": 12, "symbol": "Code", "score": 0.7, "kind": "wiki"}
    bridge.answerDone.emit("job-1", {"answer": "See [1].", "references": [ref], "conversation": "c1"})
    assert window.tabs.currentWidget() is chat
    chat.transcript.activate("ref:1")
    assert window.tabs.currentWidget() is window.wiki
    assert window.wiki.current_page() == "overview.md"
    assert bridge.called("readSource") == []   # not a source file


def test_generate_wiki_from_the_repository_list(qtbot, bridge, qsettings, placeholder_chat, tmp_path):
    from repowiki_gui.ui.main_window import MainWindow

    window = MainWindow(bridge, qsettings, chat_factory=placeholder_chat, home=tmp_path)
    qtbot.addWidget(window)
    window.show()
    bridge.reposChanged.emit([{"name": "bare", "files": 1, "chunks": 1}, {"name": "demo", "files": 3, "chunks": 9}])
    assert window.generate_wiki_action in window.repo_panel.view.actions()
    window.repo_panel.view.selectRow(0)
    assert window.wiki.current_repo() == "bare"
    window.generate_wiki_action.trigger()
    assert window.tabs.currentWidget() is window.wiki
    assert bridge.called("generateWiki") == [("bare", list(SPEC_TYPES))]


def test_export_menu_writes_the_html_site_of_the_wiki_tab(qtbot, bridge, qsettings, placeholder_chat, tmp_path,
                                                          monkeypatch):
    from repowiki_gui.ui.main_window import MainWindow

    window = MainWindow(bridge, qsettings, chat_factory=placeholder_chat, home=tmp_path)
    qtbot.addWidget(window)
    window.show()
    export = next(a for a in window.menuBar().actions() if a.text() == "&Export").menu()
    assert [a.text() for a in export.actions()] == ["&Markdown (mkdocs project)…", "&HTML site…"]
    bridge.reposChanged.emit([{"name": "bare", "files": 1, "chunks": 1}, {"name": "demo", "files": 3, "chunks": 9}])
    assert window.wiki.current_repo() == "bare" and not window.export_html_action.isEnabled()   # no wiki to export
    window.wiki.set_repo("demo")
    assert window.export_html_action.isEnabled()
    answers = ["", str(tmp_path / "site")]
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: answers.pop(0))
    window.export_html_action.trigger()   # cancelled
    window.export_html_action.trigger()
    assert bridge.called("exportWikiHtml") == [("demo", str(tmp_path / "site"))]
    bridge.wikiExported.emit("demo", str(tmp_path / "site"))
    assert window.wiki.status.text() == f"The HTML site of demo is in {tmp_path / 'site'} (open index.html)"


# --- the bridge's wiki slots (called in this thread: no services needed) ------------------------
class FakeService:
    """What ServiceBridge needs of JobService for the wiki: enqueue and the job list (each job names its repo)."""

    def __init__(self):
        self.enqueued, self.rows = [], []

    def enqueue(self, name, *args):
        self.enqueued.append((name, *args))
        return "job-1"

    def jobs(self, limit):
        return [dict(r) for r in self.rows]


@pytest.fixture
def bare_bridge(tmp_path):
    from repowiki_gui.ui.bridge import ServiceBridge

    bridge = ServiceBridge(tmp_path / "home")
    bridge.service = FakeService()
    write_wiki(tmp_path / "home" / "wiki" / "demo")
    return bridge


def record(signal) -> list:
    got = []
    signal.connect(lambda *args: got.append(args))
    return got


def test_bridge_loads_manifests_and_renders_pages(bare_bridge):
    loaded, pages, failed = record(bare_bridge.wikiLoaded), record(bare_bridge.wikiPageLoaded), \
        record(bare_bridge.wikiPageFailed)
    bare_bridge.loadWiki("demo")
    bare_bridge.loadWiki("nowiki")
    assert loaded[0][0] == "demo" and loaded[0][1]["pages"] == PAGES and loaded[1] == ("nowiki", {})
    bare_bridge.loadWikiPage("demo", "modules/flask-json.md")
    (repo, page, html), = pages
    assert (repo, page) == ("demo", "modules/flask-json.md") and 'href="../overview.md"' in html
    for bad in ("../wiki.json", "../../../etc/passwd.md", "/etc/passwd.md", "gone.md"):
        bare_bridge.loadWikiPage("demo", bad)
    assert [f[1] for f in failed] == ["../wiki.json", "../../../etc/passwd.md", "/etc/passwd.md", "gone.md"]
    assert len(pages) == 1


def test_bridge_writes_the_html_site_or_says_why_not(bare_bridge, tmp_path):
    exported, errors = record(bare_bridge.wikiExported), record(bare_bridge.errorOccurred)
    bare_bridge.exportWikiHtml("demo", str(tmp_path / "site"))
    assert exported == [("demo", str((tmp_path / "site").resolve()))]
    assert (tmp_path / "site" / "overview.html").is_file() and (tmp_path / "site" / "assets" / "mermaid.min.js").is_file()
    bare_bridge.exportWikiHtml("nowiki", str(tmp_path / "other"))
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    bare_bridge.exportWikiHtml("demo", str(tmp_path / "busy"))
    assert [e[0].split(";")[0] for e in errors] == [
        "nowiki has no wiki yet", f"The folder {(tmp_path / 'busy').resolve()} is not empty and is not an earlier "
        "HTML export of demo"]
    assert len(exported) == 1


def test_bridge_generate_and_export_enqueue_the_wiki_job(bare_bridge, tmp_path):
    from repowiki_gui.jobs.names import GENERATE_WIKI as WIKI_TASK

    bare_bridge.generateWiki("demo", ["overview"])
    bare_bridge.generateWiki("demo", [])
    bare_bridge.exportWiki("demo", str(tmp_path / "out"))
    bare_bridge.exportWiki("nowiki", str(tmp_path / "out2"))
    assert bare_bridge.service.enqueued == [
        (WIKI_TASK, "demo", ["overview"], None),
        (WIKI_TASK, "demo", list(SPEC_TYPES), None),
        (WIKI_TASK, "demo", ["overview", "modules"], str(tmp_path / "out")),   # the specs of the wiki on disk
        (WIKI_TASK, "nowiki", list(SPEC_TYPES), str(tmp_path / "out2"))]


def test_bridge_says_wiki_changed_when_a_wiki_job_ends(bare_bridge):
    from repowiki_gui.jobs.names import GENERATE_WIKI as WIKI_TASK

    changed, jobs = record(bare_bridge.wikiChanged), record(bare_bridge.jobsChanged)
    service = bare_bridge.service
    service.rows = [{"id": "w1", "name": WIKI_TASK, "repo": "demo", "state": "queued"},
                    {"id": "w0", "name": WIKI_TASK, "repo": "old", "state": "finished"}]   # ended before we looked
    bare_bridge._poll_jobs()
    assert jobs[-1][0][0]["repo"] == "demo" and changed == []
    service.rows[0]["state"] = "started"
    bare_bridge._poll_jobs()
    service.rows[0]["state"] = "finished"
    bare_bridge._poll_jobs()
    bare_bridge._poll_jobs()
    assert changed == [("demo",)]


# --- the real bridge -------------------------------------------------------------------------
@pytest.mark.timeout(1200)
def test_generate_and_export_through_the_real_bridge(qtbot, real_bridge, tmp_path):
    """Index the sample shop, generate its overview with the bundled model, show it, export it."""
    from helpers import bridge_run
    from repowiki_gui.jobs.names import GENERATE_WIKI as WIKI_TASK

    bridge, thread = real_bridge
    view = WikiView(bridge)
    qtbot.addWidget(view)
    view.resize(1100, 700)
    # The bridge emits from its own thread: record into lists and poll (see bridge_run).
    changed, wiki_jobs = [], {}
    bridge.wikiChanged.connect(changed.append)
    bridge.jobsChanged.connect(lambda rows: wiki_jobs.update({r["id"]: r for r in rows if r["name"] == WIKI_TASK}))
    bridge_run.start(qtbot, bridge, thread)
    bridge_run.index_shop(bridge, tmp_path)
    qtbot.waitUntil(lambda: view.current_repo() == "shop", timeout=300_000)
    qtbot.waitUntil(lambda: view.empty_label.text() == "No wiki yet — Generate wiki", timeout=30_000)
    assert not view.has_wiki()

    view.generate(["overview"])
    qtbot.waitUntil(lambda: "shop" in changed, timeout=900_000)
    (job,) = wiki_jobs.values()
    assert job["state"] == "finished", job.get("error")
    assert job["repo"] == "shop"
    qtbot.waitUntil(lambda: view.has_wiki() and bool(view.current_page()), timeout=30_000)
    assert view.stack.currentIndex() == 1 and "overview.md" in view.model.pages()
    view.open_page("shop", "overview.md")
    qtbot.waitUntil(lambda: view.page_on_screen() == "overview.md", timeout=30_000)
    assert page_text(qtbot, view).strip()
    sources = [h for h in hrefs(qtbot, view) if "sources/" in h]
    assert sources  # every section ends with its sources
    with qtbot.waitSignal(view.source_view.rangeShown, timeout=30_000):
        view.follow_link(QUrl(sources[0]))

    out = tmp_path / "export"
    out.mkdir()
    changed.clear()
    bridge.call("exportWiki", "shop", str(out))
    qtbot.waitUntil(lambda: "shop" in changed, timeout=900_000)
    assert all(j["state"] == "finished" for j in wiki_jobs.values()), [j.get("error") for j in wiki_jobs.values()]
    assert any(out.rglob("*.md")), list(out.rglob("*"))

    # removing the repository removes its wiki and its indexed sections too
    from repowiki_gui.core.datadir import wiki_dir
    from repowiki_gui.core.index.sections import SectionStore

    home = bridge.home
    assert SectionStore(home / "lancedb", 384).count("shop") > 0
    bridge.call("removeRepo", "shop")
    qtbot.waitUntil(lambda: not wiki_dir(home, "shop").exists(), timeout=60_000)
    assert SectionStore(home / "lancedb", 384).count("shop") == 0


def test_a_section_whose_cited_code_changed_shows_the_stale_badge(qtbot, view, bridge, wiki_folder):
    from repowiki_gui.core.span import Span
    from repowiki_gui.core.wiki.stale import save_stamps, stamp

    path = "src/flask/json/__init__.py"
    then = {path: SOURCE}
    save_stamps(wiki_folder, "demo", [stamp("overview.md", "Code", [Span(path, 4, 5)], then),
                                      stamp("overview.md", "Layers", [Span(path, 1, 1)], then)])
    bridge.sources[("demo", path)] = SOURCE.replace("json.dumps(obj)", "json.dumps(obj, indent=2)")  # line 5
    view.open_page("demo", "overview.md")
    on_screen(qtbot, view, "overview.md")
    marked = js(qtbot, view, "Array.from(document.querySelectorAll('.stale-badge')).map(b => "
                             "[b.previousElementSibling.textContent, b.getBoundingClientRect().height > 0])")
    assert marked == [["Code", True]]
    assert "stale: the code under this section changed since the wiki was written" in page_text(qtbot, view)


def test_the_page_has_room_beside_the_tree_in_the_window(qtbot, bridge, qsettings, placeholder_chat, tmp_path):
    from repowiki_gui.ui.main_window import MainWindow

    window = MainWindow(bridge, qsettings, chat_factory=placeholder_chat, home=tmp_path)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    bridge.reposChanged.emit([{"name": "demo", "files": 3, "chunks": 9}])
    window.tabs.setCurrentWidget(window.wiki)
    window.wiki.open_page("demo", "overview.md")
    on_screen(qtbot, window.wiki, "overview.md")
    assert window.wiki.browser.width() > window.wiki.tree.width() > 0
