"""core/wiki/site.py: the wiki as an offline static site (pages, navigation, search, diagrams; no CDN)."""
from __future__ import annotations

import json
import re

import pytest

from repowiki_gui.core.errors import UserError
from repowiki_gui.core.wiki.html import web_assets
from repowiki_gui.core.wiki.site import export_html_site, html_name

PAGES = [{"path": "index.md", "title": "demo", "group": ""},
         {"path": "overview.md", "title": "Repository Overview", "group": ""},
         {"path": "modules/flask-json.md", "title": "flask.json", "group": "Modules"}]


@pytest.fixture
def wiki(tmp_path):
    folder = tmp_path / "wiki" / "demo"
    docs = folder / "docs"
    (docs / "modules").mkdir(parents=True)
    (docs / "sources" / "src").mkdir(parents=True)
    (docs / "index.md").write_text("# demo\n\nStart with the [overview](overview.md).\n")
    (docs / "overview.md").write_text(
        "# Repository Overview\n\nSee [dumps](sources/src/json.py.md#L1-L2) and [json](modules/flask-json.md).\n\n"
        "The [docs](https://flask.palletsprojects.com/) say more. <script>alert(1)</script>\n\n"
        "```mermaid\ngraph TD\n  A --> B\n```\n")
    (docs / "modules" / "flask-json.md").write_text("# flask.json\n\nSerialises </script> safely. [Back](../index.md)\n")
    (docs / "sources" / "src" / "json.py.md").write_text(
        '# src/json.py\n\n<a id="L1-L2"></a>\n\n## Lines 1-2\n\n```python\nimport json\n```\n')
    (folder / "wiki.json").write_text(json.dumps({"repo": "demo", "generated_at": "2026-01-01", "pages": PAGES}))
    return folder


def test_every_page_becomes_html_with_relative_links(wiki, tmp_path):
    out = export_html_site(wiki, tmp_path / "site", "demo")
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.html"))
    assert files == ["index.html", "modules/flask-json.html", "overview.html", "search.html",
                     "sources/src/json.py.html"]
    overview = (out / "overview.html").read_text()
    assert 'href="sources/src/json.py.html#L1-L2"' in overview and 'href="modules/flask-json.html"' in overview
    module = (out / "modules" / "flask-json.html").read_text()
    assert 'href="../index.html"' in module and 'href="../assets/wiki.css"' in module
    assert "mermaid" not in module   # no diagram on it: no 3.5 MB script to parse
    assert '<a id="L1-L2" class="source-range"></a>' in (out / "sources" / "src" / "json.py.html").read_text()
    for page in out.rglob("*.html"):   # every link inside the site points at a file that exists
        for href in re.findall(r'href="([^"#?]+)', page.read_text()):
            assert (page.parent / href).resolve().is_file(), (page, href)


def test_no_page_loads_or_links_anything_remote(wiki, tmp_path):
    out = export_html_site(wiki, tmp_path / "site", "demo")
    for page in out.rglob("*.html"):
        text = page.read_text()
        assert not re.search(r'(?:src|href|action)="(?:https?:)?//', text), page
        assert "cdn" not in text.lower()
        assert "<script>alert" not in text
    assert "docs ⟨https://flask.palletsprojects.com/⟩" in re.sub(r"<[^>]+>", "", (out / "overview.html").read_text())


def test_diagrams_use_the_shipped_mermaid_copied_beside_the_pages(wiki, tmp_path):
    out = export_html_site(wiki, tmp_path / "site", "demo")
    assert (out / "assets" / "mermaid.min.js").read_bytes() == (web_assets() / "mermaid.min.js").read_bytes()
    assert "MIT License" in (out / "assets" / "mermaid.LICENSE").read_text()
    overview = (out / "overview.html").read_text()
    assert '<div class="diagram" data-kind="graph">' in overview
    assert '<script src="assets/mermaid.min.js"></script><script src="assets/diagrams.js"></script>' in overview


def test_the_search_index_holds_every_page_and_cannot_close_its_script(wiki, tmp_path):
    out = export_html_site(wiki, tmp_path / "site", "demo")
    script = (out / "assets" / "search-index.js").read_text()
    assert "</script>" not in script
    entries = json.loads(script.split("=", 1)[1].strip().rstrip(";"))
    assert {e["url"] for e in entries} == {"index.html", "overview.html", "modules/flask-json.html",
                                           "sources/src/json.py.html"}
    assert next(e for e in entries if e["url"] == "modules/flask-json.html")["title"] == "flask.json"
    search = (out / "search.html").read_text()
    assert 'src="assets/search-index.js"' in search and 'src="assets/search.js"' in search
    assert 'action="search.html"' in (out / "index.html").read_text()
    assert 'action="../search.html"' in (out / "modules" / "flask-json.html").read_text()


def test_navigation_lists_the_manifest_and_marks_the_page(wiki, tmp_path):
    out = export_html_site(wiki, tmp_path / "site", "demo")
    module = (out / "modules" / "flask-json.html").read_text()
    nav = module[module.index("<nav"):module.index("</nav>")]
    assert re.findall(r'href="([^"]+)">([^<]+)<', nav) == [
        ("../index.html", "demo"), ("../overview.html", "Repository Overview"), ("flask-json.html", "flask.json")]
    assert '<a class="current" aria-current="page" href="flask-json.html">' in nav
    assert '<li class="group">Modules<ul>' in nav


def test_the_target_must_be_empty_or_an_earlier_export(wiki, tmp_path):
    out = tmp_path / "site"
    export_html_site(wiki, out, "demo")
    (wiki / "docs" / "overview.md").unlink()
    export_html_site(wiki, out, "demo")   # again, over the earlier one: replaced whole
    assert not (out / "overview.html").exists() and (out / "index.html").is_file()
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "thesis.tex").write_text("mine")
    with pytest.raises(UserError, match="not empty"):
        export_html_site(wiki, busy, "demo")
    with pytest.raises(UserError, match="not empty"):
        export_html_site(wiki, out, "other")
    assert (busy / "thesis.tex").read_text() == "mine"
    with pytest.raises(UserError, match="a file"):
        export_html_site(wiki, busy / "thesis.tex", "demo")
    with pytest.raises(UserError, match="no wiki yet"):
        export_html_site(tmp_path / "nowiki", tmp_path / "x", "nowiki")


def test_html_names():
    assert html_name("modules/a.md") == "modules/a.html" and html_name("index.md") == "index.html"
