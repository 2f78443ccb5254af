"""core/wiki/html.py: a page's Markdown as HTML that holds only the markup the renderer writes."""
from __future__ import annotations

import re

import pytest

from repowiki_gui.core.wiki.html import ASSETS, app_document, link_kind, render_page, stylesheet, web_assets


def test_raw_html_is_text():
    body = render_page('<div onclick="x">\n<script>alert(1)</script>\n</div>\n\n'
                       'A <b>bold</b> <img src=x onerror=alert(1)> &amp; <a href="javascript:x">y</a>\n').body
    for tag in ("<div onclick", "<script", "<b>", "<img", "<a href"):
        assert tag not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "&lt;img src=x onerror=alert(1)&gt;" in body


@pytest.mark.parametrize("href, kind", [
    ("overview.md", "relative"), ("../overview.md#x", "relative"), ("#dumps", "relative"),
    ("sources/a.py.md#L1-L2", "relative"), ("https://example.com", "external"), ("HTTP://x", "external"),
    ("mailto:a@b", "external"), ("javascript:alert(1)", "refused"), ("java\tscript:alert(1)", "refused"),
    (" JAVASCRIPT:x", "refused"), ("data:text/html,x", "refused"), ("file:///etc/passwd", "refused"),
    ("/etc/passwd", "refused"), ("//evil.example/x", "refused"), ("vbscript:x", "refused"),
])
def test_link_kinds(href, kind):
    assert link_kind(href) == kind


def test_links_relative_kept_external_shown_as_text_others_dropped():
    body = render_page("[page](modules/a.md#f) [site](https://example.com/x) [bad](javascript:alert(1)) "
                       "<https://auto.example> ![logo](https://example.com/logo.png) [f](file:///etc/passwd)\n").body
    assert re.findall(r'href="([^"]*)"', body) == ["modules/a.md#f"]
    assert "site ⟨https://example.com/x⟩" in re.sub(r"<[^>]+>", "", body)
    assert "https://auto.example" in body and "logo" in body
    assert "src=" not in body and "javascript" not in body and "file:" not in body


def test_static_site_links_end_in_html():
    body = render_page("[a](modules/a.md#f) [b](../b.md) [c](#local)\n", link_suffix=".html").body
    assert re.findall(r'href="([^"]*)"', body) == ["modules/a.html#f", "../b.html", "#local"]


def test_code_is_highlighted_with_classes():
    body = render_page("```python\ndef f(x):\n    return x  # why\n```\n\nInline `code`.\n").body
    assert '<div class="highlight">' in body and '<span class="k">def</span>' in body
    assert '<span class="c1"># why</span>' in body and "<code>code</code>" in body
    css = stylesheet()
    assert ".highlight .k" in css and "html.dark .highlight .k" in css


def test_a_mermaid_block_is_its_source_in_a_diagram_box():
    body = render_page('```mermaid\ngraph TD\n  A["<b>x</b>"] --> B\n```\n').body
    assert '<div class="diagram" data-kind="graph">' in body
    assert '<pre class="diagram-source">graph TD\n  A[&quot;&lt;b&gt;x&lt;/b&gt;&quot;] --&gt; B</pre>' in body


def test_headings_carry_ids_and_their_line():
    page = render_page("# A\n\ntext\n\n```\n# not a heading\n```\n\n## B b\n\nSetext\n------\n")
    assert re.findall(r'<h(\d) data-line="(\d+)" id="([^"]+)"', page.body) == [
        ("1", "1", "a"), ("2", "9", "b-b"), ("2", "11", "setext")]
    assert page.title == "A"


def test_source_range_anchors_of_the_wiki_are_kept_and_nothing_like_them():
    body = render_page('<a id="L3-L5"></a>\n\n## Lines 3-5\n\n<a id="L3-L5" onclick="x"></a>\n').body
    assert '<a id="L3-L5" class="source-range"></a>' in body
    assert '&lt;a id="L3-L5" onclick="x"&gt;&lt;/a&gt;' in body   # not the wiki's exact line: text
    assert body.count("<a ") == 1


def test_the_document_uses_only_the_shipped_scripts():
    doc = app_document("# T\n\n" + "```mermaid\ngraph TD\nA-->B\n```\n")
    scripts = re.findall(r'<script src="([^"]+)"', doc)
    assert scripts == [(web_assets() / "mermaid.min.js").as_uri(), (web_assets() / "diagrams.js").as_uri()]
    assert not re.search(r'(?:src|href)="https?:', doc)
    assert '<html class="auto">' in doc
    assert "<script" not in app_document("# T\n\nNo diagram here.\n")


def test_the_assets_ship_with_mermaids_licence():
    for name in ASSETS:
        assert (web_assets() / name).is_file(), name
    assert "MIT License" in (web_assets() / "mermaid.LICENSE").read_text()
    head = (web_assets() / "mermaid.min.js").read_text(encoding="utf-8")[:200_000]
    assert "mermaid" in head


def test_a_stale_section_gets_a_badge_after_its_heading():
    from repowiki_gui.core.wiki.html import STALE_BADGE, render_page

    text = "# Page\n\n## Purpose\n\nx\n\n## Uses `a\\_b` \\[1\\]\n\ny\n\n## Fresh\n\nz\n"
    body = render_page(text, stale=frozenset({"Purpose", "Uses `a_b` [1]", "Page", "Gone"})).body
    assert body.count(STALE_BADGE) == 2   # the page's own title is no section; an unknown title marks nothing
    assert body.index(STALE_BADGE) > body.index("Purpose</h2>") and body.index("Fresh</h2>") > body.rindex(STALE_BADGE)
    assert STALE_BADGE not in render_page(text).body
