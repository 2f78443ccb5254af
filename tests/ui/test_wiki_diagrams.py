"""Mermaid diagrams drawn by Mermaid's own renderer in the Wiki tab and in the exported site, offline."""
from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QUrl

from repowiki_gui.core.wiki.html import app_document
from repowiki_gui.core.wiki.site import export_html_site
from repowiki_gui.ui.wiki_view import WikiBrowser

GOOD = "```mermaid\ngraph TD\n  A[App] -->|dispatch| B(Blueprint)\n  B --> C[View]\n```\n"
BROKEN = "```mermaid\ngraph TD\n  A -->> \n```\n"
HOSTILE = 'Text <img src=x onerror="document.title=\'pwned\'"> and <script>document.title="pwned"</script>.\n'


@pytest.fixture
def browser(qtbot):
    view = WikiBrowser()
    qtbot.addWidget(view)
    view.resize(900, 700)
    view.show()
    return view


def evaluate(qtbot, view, expression: str):
    got = []
    view.page().runJavaScript(f"JSON.stringify({expression})", 0, got.append)
    qtbot.waitUntil(lambda: bool(got), timeout=10_000)
    return json.loads(got[0]) if got[0] else None


def diagrams_done(qtbot, view) -> None:
    qtbot.waitUntil(lambda: evaluate(qtbot, view, "document.documentElement.getAttribute('data-diagrams')") == "done",
                    timeout=20_000)


def show(qtbot, view, markdown: str, page: str = "index.md") -> None:
    with qtbot.waitSignal(view.loadFinished, timeout=15_000):
        view.show_html(page, app_document(markdown))
    diagrams_done(qtbot, view)


def test_a_mermaid_block_is_drawn_as_svg(qtbot, browser):
    show(qtbot, browser, "# Layers\n\n" + GOOD)
    drawn = evaluate(qtbot, browser, "Array.from(document.querySelectorAll('div.diagram.drawn svg')).length")
    assert drawn == 1
    labels = evaluate(qtbot, browser, "document.querySelector('div.diagram svg').textContent")
    assert "App" in labels and "Blueprint" in labels and "dispatch" in labels
    assert evaluate(qtbot, browser, "document.querySelectorAll('.diagram-error').length") == 0
    # the source stays one click away, as text
    assert "graph TD" in evaluate(qtbot, browser, "document.querySelector('div.diagram details pre').textContent")


def test_a_broken_diagram_says_so_and_shows_its_text(qtbot, browser):
    show(qtbot, browser, GOOD + "\nthen\n\n" + BROKEN)
    states = evaluate(qtbot, browser, "Array.from(document.querySelectorAll('div.diagram')).map(d => d.className)")
    assert states == ["diagram drawn", "diagram failed"]
    error = evaluate(qtbot, browser, "document.querySelector('.diagram.failed .diagram-error').textContent")
    assert error.startswith("This diagram could not be drawn: ") and "line 2" in error
    source = evaluate(qtbot, browser, "getComputedStyle(document.querySelector('.diagram.failed .diagram-source')).display"
                                      " + '|' + document.querySelector('.diagram.failed .diagram-source').textContent")
    display, text = source.split("|", 1)
    assert display != "none" and text == "graph TD\n  A -->>"
    assert evaluate(qtbot, browser, "document.querySelectorAll('svg[id^=\"repowiki-diagram\"]').length") == 1


def test_raw_html_in_a_page_is_not_interpreted(qtbot, browser):
    show(qtbot, browser, "# Page\n\n" + HOSTILE + "\n" + GOOD)
    assert evaluate(qtbot, browser, "document.images.length") == 0
    assert evaluate(qtbot, browser, "document.querySelectorAll('main script').length") == 0
    assert browser.title() != "pwned"
    text = evaluate(qtbot, browser, "document.querySelector('main').innerText")
    assert "<img src=x onerror=" in text and "<script>" in text


def test_a_diagram_label_cannot_run_script(qtbot, browser):
    hostile = "```mermaid\ngraph TD\n  A[\"<img src=x onerror=document.title='pwned'>\"] --> B\n```\n"
    show(qtbot, browser, hostile)
    assert browser.title() != "pwned"
    assert evaluate(qtbot, browser, "document.querySelectorAll('img[onerror]').length") == 0


def test_the_exported_site_draws_its_diagrams_and_searches_offline(qtbot, tmp_path):
    """The site's own pages in a plain web view (not the wiki's): its local mermaid.min.js draws, search finds."""
    from PySide6.QtWebEngineWidgets import QWebEngineView

    folder = tmp_path / "wiki" / "demo"
    (folder / "docs" / "modules").mkdir(parents=True)
    (folder / "docs" / "index.md").write_text("# demo\n\nSee [the app](modules/app.md).\n\n" + GOOD)
    (folder / "docs" / "modules" / "app.md").write_text("# flask.app\n\nThe dispatcher lives here.\n")
    (folder / "wiki.json").write_text(json.dumps({"repo": "demo", "pages": [
        {"path": "index.md", "title": "demo", "group": ""},
        {"path": "modules/app.md", "title": "flask.app", "group": "Modules"}]}))
    out = export_html_site(folder, tmp_path / "site", "demo")

    view = QWebEngineView()
    qtbot.addWidget(view)
    view.show()
    with qtbot.waitSignal(view.loadFinished, timeout=15_000):
        view.load(QUrl.fromLocalFile(str(out / "index.html")))
    diagrams_done(qtbot, view)
    assert evaluate(qtbot, view, "document.querySelectorAll('div.diagram.drawn svg').length") == 1
    assert evaluate(qtbot, view, "document.querySelector('main a').getAttribute('href')") == "modules/app.html"

    search = QUrl.fromLocalFile(str(out / "search.html"))
    search.setQuery("q=dispatcher")
    with qtbot.waitSignal(view.loadFinished, timeout=15_000):
        view.load(search)
    qtbot.waitUntil(lambda: evaluate(qtbot, view, "document.querySelectorAll('#results li').length") == 1,
                    timeout=10_000)
    assert evaluate(qtbot, view, "document.querySelector('#results a').getAttribute('href')") == "modules/app.html"
    assert evaluate(qtbot, view, "document.querySelector('#results mark').textContent") == "dispatcher"
