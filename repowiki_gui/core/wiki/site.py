"""The wiki as an offline static site: the same pages as the window shows, with navigation and search.

``export_html_site`` writes, from a generated wiki folder (folder.py)::

    index.html, overview.html, modules/<slug>.html, sources/<path>.html   every docs page
    search.html                 a search box over every page (plain JS, no server)
    assets/                     mermaid.min.js with its licence, diagrams.js, search.js,
                                wiki.css, search-index.js (the pages' text, embedded)
    repowiki-site.json          what this folder is (a later export of the same repository replaces it)

Links are relative and every script is a local file, so the site works from
``file://`` and on any static host; nothing refers to a CDN.
"""
from __future__ import annotations

import html
import json
import posixpath
import shutil
from pathlib import Path
from urllib.parse import quote

from ..errors import UserError
from ..fsutil import atomic_write_text
from .folder import DOCS, load_manifest
from .html import ASSETS, RenderedPage, document, render_page, stylesheet, web_assets

MARKER = "repowiki-site.json"
ASSETS_DIR = "assets"
SEARCH_PAGE = "search.html"
INDEX_SCRIPT = "search-index.js"
_SEARCH_TEXT_CHARS = 20_000   # of each page's text in the embedded index: enough to find it by


def html_name(page: str) -> str:
    """The site's file for docs page ``page`` ("modules/a.md" -> "modules/a.html")."""
    return page[:-3] + ".html" if page.endswith(".md") else page + ".html"


def _rel(from_file: str, to_file: str) -> str:
    return quote(posixpath.relpath(to_file, posixpath.dirname(from_file) or "."))


def _nav(pages: list[dict], current: str) -> str:
    """The manifest's pages as nested lists of relative links, the current one marked."""
    here = html_name(current)
    out, group = ['<nav aria-label="Pages"><ul>'], None
    for p in pages:
        g = p.get("group") or ""
        if g != group:
            if group:
                out.append("</ul></li>")
            if g:
                out.append(f'<li class="group">{html.escape(g)}<ul>')
            group = g
        target = html_name(p["path"])
        mark = ' class="current" aria-current="page"' if target == here else ""
        out.append(f'<li><a{mark} href="{_rel(here, target)}">{html.escape(p.get("title") or p["path"])}</a></li>')
    if group:
        out.append("</ul></li>")
    out.append("</ul></nav>")
    return "".join(out)


def _search_box(here: str, query: str = "") -> str:
    return (f'<form class="searchbox" action="{_rel(here, SEARCH_PAGE)}" method="get" role="search">'
            f'<input type="search" name="q" value="{html.escape(query)}" placeholder="Search the wiki" '
            f'aria-label="Search the wiki"></form>')


def _page(rendered: RenderedPage, here: str, pages: list[dict], current: str, scripts: str = "") -> str:
    assets = posixpath.relpath(ASSETS_DIR, posixpath.dirname(here) or ".")
    before = f'<div class="site">{_nav(pages, current)}<div class="content">{_search_box(here)}'
    return document(rendered, assets=assets, before=before, after=f"</div></div>{scripts}")


def _index_script(entries: list[dict]) -> str:
    # "</" never appears inside the script element's text, so no page can close it early.
    data = json.dumps(entries, ensure_ascii=False).replace("</", "<\\/")
    return f"window.REPOWIKI_SEARCH_INDEX = {data};\n"


def _plain_text(markdown_text: str) -> str:
    return " ".join(markdown_text.split())[:_SEARCH_TEXT_CHARS]


def check_target(out: Path, repo: str) -> None:
    """UserError unless ``out`` is a new folder, an empty one, or an earlier HTML export of ``repo``."""
    if out.exists() and not out.is_dir():
        raise UserError(f"The export target {out} is a file, not a folder.")
    if out.is_dir() and any(out.iterdir()):
        try:
            marker = json.loads((out / MARKER).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            marker = {}
        if marker.get("repo") != repo:
            raise UserError(f"The folder {out} is not empty and is not an earlier HTML export of {repo}; "
                            "choose an empty folder.")


def export_html_site(folder: Path, out_dir: Path, repo: str) -> Path:
    """Write the wiki in ``folder`` as a static site to ``out_dir`` (empty, new, or an earlier export of it)."""
    folder = Path(folder)
    manifest = load_manifest(folder)
    docs = folder / DOCS
    if not manifest or not docs.is_dir():
        raise UserError(f"{repo} has no wiki yet; generate it first.")
    out = Path(out_dir).expanduser().resolve()
    check_target(out, repo)
    if out.is_dir():   # an earlier export of this repository: replace it whole
        for child in out.iterdir():
            shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
    out.mkdir(parents=True, exist_ok=True)

    nav_pages = [p for p in manifest.get("pages") or [] if isinstance(p.get("path"), str)]
    entries = []
    for source in sorted(docs.rglob("*.md")):
        page = source.relative_to(docs).as_posix()
        text = source.read_text(encoding="utf-8", errors="replace")
        rendered = render_page(text, link_suffix=".html")
        here = html_name(page)
        atomic_write_text(out / here, _page(rendered, here, nav_pages, page))
        entries.append({"url": here, "title": rendered.title or page, "text": _plain_text(text)})

    search = RenderedPage(title=f"Search the wiki of {repo}",
                          body=f'<h1>Search</h1><p id="summary"></p><ol class="results" id="results"></ol>')
    scripts = (f'<script src="{ASSETS_DIR}/{INDEX_SCRIPT}"></script>'
               f'<script src="{ASSETS_DIR}/search.js"></script>')
    atomic_write_text(out / SEARCH_PAGE, _page(search, SEARCH_PAGE, nav_pages, "", scripts))

    assets = out / ASSETS_DIR
    assets.mkdir(exist_ok=True)
    for name in ASSETS:
        if name != "wiki.css":
            shutil.copy2(web_assets() / name, assets / name)
    atomic_write_text(assets / "wiki.css", stylesheet())
    atomic_write_text(assets / INDEX_SCRIPT, _index_script(entries))
    atomic_write_text(out / MARKER, json.dumps({"repo": repo, "generated_at": manifest.get("generated_at"),
                                                 "pages": len(entries)}, indent=1) + "\n")
    return out
