"""A wiki page's Markdown as an HTML document, for the window's web view and the exported static site.

The Markdown comes from a language model that read an untrusted repository, so
nothing in it becomes markup that this module did not write:

- raw HTML is text (``<img onerror=…>`` shows as the characters it is); the
  one exception is the wiki's own ``<a id="L3-L5"></a>`` line anchor of a
  source page, matched whole;
- a link keeps its ``href`` only when it is relative (another page, a source
  page, an anchor); an http(s) or mailto link is shown as its text and its
  address, never as a link; any other scheme (``javascript:``, ``file:``) is
  shown as its text alone;
- an image is its alt text: a page loads nothing;
- fenced code is coloured by pygments (CSS classes, both themes in
  ``stylesheet()``); a ``mermaid`` fence becomes a ``div.diagram`` holding its
  source as text, which ``resources/web/diagrams.js`` draws with Mermaid's own
  renderer (``mermaid.min.js``, shipped: no CDN) or, when it cannot, says so
  and leaves the text in view.

Headings carry their id (for ``#fragment`` links) and ``data-line`` (their
line in the Markdown, from 1), so a view can scroll to the section holding a
line the chat cited.
"""
from __future__ import annotations

import html
import re
from functools import lru_cache
import xml.etree.ElementTree as etree
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import markdown
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import TextLexer, get_lexer_by_name
from pygments.util import ClassNotFound

from ..markup import markdown_headings, split_fences

LIGHT_CODE_STYLE = "default"
DARK_CODE_STYLE = "monokai"
# The files of resources/web/ a page uses; the export copies them next to its pages.
ASSETS = ("mermaid.min.js", "mermaid.LICENSE", "diagrams.js", "search.js", "wiki.css")
_SOURCE_ANCHOR = re.compile(r'^<a id="(L\d+-L\d+)"></a>\s*$')
_HEADING_TAG = re.compile(r"<h([1-6])(?=[ >])")
_ESCAPED = re.compile(r"\\([\[\]|*_`<>\\])")   # a section title as the page's markdown escapes it
STALE_BADGE = ('<p class="stale-badge" title="Generate the wiki again to rewrite it">stale: the code under this '
               "section changed since the wiki was written</p>")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
_SHOWN_SCHEMES = ("http", "https", "mailto")   # shown as text with their address


def web_assets() -> Path:
    """The folder of the page's scripts and styles as installed (resources/web/)."""
    return Path(str(resources.files("repowiki_gui.resources") / "web"))


def link_kind(href: str) -> str:
    """"relative" (kept as a link), "external" (shown as text and address) or "refused" (text alone)."""
    clean = re.sub(r"[\x00-\x20]", "", href)   # browsers ignore these inside a scheme ("java\tscript:")
    m = _SCHEME.match(clean)
    if m:
        return "external" if m.group(1).lower() in _SHOWN_SCHEMES else "refused"
    if clean.startswith(("/", "\\")):   # "/etc/x" or "//host/x": not a page of this wiki
        return "refused"
    return "relative"


def _code_html(code: str, lang: str) -> str:
    try:
        lexer = get_lexer_by_name(lang, stripnl=False) if lang else TextLexer(stripnl=False)
    except ClassNotFound:
        lexer = TextLexer(stripnl=False)
    return highlight(code, lexer, HtmlFormatter(cssclass="highlight"))


def _diagram_html(source: str) -> str:
    first = next((line.strip() for line in source.splitlines() if line.strip()), "")
    kind = first.split()[0] if first else "diagram"
    return (f'<div class="diagram" data-kind="{html.escape(kind)}">'
            f'<p class="diagram-title">Diagram ({html.escape(kind)})</p>'
            f'<pre class="diagram-source">{html.escape(source.rstrip())}</pre></div>')


class _Blocks(Preprocessor):
    """Fenced code, Mermaid diagrams and source-range anchors become finished HTML, stashed away."""

    def run(self, lines: list[str]) -> list[str]:
        out: list[str] = []
        for kind, body, lang in split_fences("\n".join(lines)):   # an unclosed fence runs to the end
            if kind == "code":
                block = _diagram_html(body) if lang == "mermaid" else _code_html(body, lang)
                out += ["", self.md.htmlStash.store(block), ""]
                continue
            for line in body.split("\n"):
                anchor = _SOURCE_ANCHOR.match(line)
                out += (["", self.md.htmlStash.store(f'<a id="{anchor.group(1)}" class="source-range"></a>'), ""]
                        if anchor else [line])
        return out


class _Links(Treeprocessor):
    """The link and image policy of the module docstring; ``suffix`` renames ``.md`` targets (``.html``)."""

    def __init__(self, md, suffix: str):
        super().__init__(md)
        self.suffix = suffix

    def run(self, root: etree.Element) -> None:
        for parent in list(root.iter()):
            for index, child in enumerate(list(parent)):
                if child.tag == "img":
                    self._replace(parent, index, child, child.get("alt") or "", None)
                elif child.tag == "a":
                    href = child.get("href") or ""
                    kind = link_kind(href)
                    if kind == "relative":
                        child.set("href", self._renamed(href))
                    else:
                        self._replace(parent, index, child, None, href if kind == "external" else None)

    def _renamed(self, href: str) -> str:
        target, sep, fragment = href.partition("#")
        if self.suffix != ".md" and target.endswith(".md"):
            target = target[:-3] + self.suffix
        return target + sep + fragment

    @staticmethod
    def _replace(parent: etree.Element, index: int, old: etree.Element, text: str | None, address: str | None):
        """``old`` becomes a span holding its text (or ``text``), then `` <address>`` when given."""
        new = etree.Element("span", {"class": "external-link" if address else "unlinked"})
        if text is None:
            new.text, new[:] = old.text, list(old)
        else:
            new.text = text
        shown = "".join(new.itertext()).strip()
        if address and shown != address:
            if len(new):
                new[-1].tail = (new[-1].tail or "") + " "
            else:
                new.text = (new.text or "") + " "
            url = etree.SubElement(new, "span", {"class": "address"})
            url.text = f"⟨{address}⟩"
            url.tail = None
        new.tail = old.tail
        parent.remove(old)
        parent.insert(index, new)


def _markdown(suffix: str) -> markdown.Markdown:
    md = markdown.Markdown(extensions=["tables", "sane_lists", "toc"], output_format="html",
                           extension_configs={"toc": {"permalink": False}})
    md.preprocessors.deregister("html_block")   # raw HTML is text, never markup
    md.inlinePatterns.deregister("html")
    md.preprocessors.register(_Blocks(md), "repowiki_blocks", 29)
    md.treeprocessors.register(_Links(md, suffix), "repowiki_links", 1)
    return md


@dataclass(frozen=True)
class RenderedPage:
    title: str   # the first heading's text ("" when the page has none)
    body: str    # HTML of the page's content


def render_page(text: str, link_suffix: str = ".md", stale: frozenset[str] = frozenset()) -> RenderedPage:
    """The page's body HTML under the module's rules; ``link_suffix`` ".html" for the static site.

    ``stale`` are the titles of the page's sections whose cited code changed (``stale``): each gets a badge.
    """
    md = _markdown(link_suffix)
    body = md.convert(text)
    headings = markdown_headings(text.split("\n"))
    if len(headings) == len(_HEADING_TAG.findall(body)):   # else a heading we did not see: lines unknown
        rows = iter(headings)
        body = _HEADING_TAG.sub(lambda m: f'{m.group(0)} data-line="{next(rows).row + 1}"', body)
        for h in headings if stale else ():
            if h.level == 2 and _ESCAPED.sub(r"\1", h.title) in stale:
                start = body.find(f'<h2 data-line="{h.row + 1}"')
                end = body.find("</h2>", start) if start >= 0 else -1
                if end >= 0:
                    body = f"{body[:end + 5]}\n{STALE_BADGE}{body[end + 5:]}"
    title = next((h.title for h in headings), "")
    return RenderedPage(title=title, body=body)


@lru_cache(maxsize=1)
def stylesheet() -> str:
    """The page's CSS: resources/web/wiki.css, then the code colours of both themes."""
    light = HtmlFormatter(style=LIGHT_CODE_STYLE).get_style_defs(".highlight")
    dark = HtmlFormatter(style=DARK_CODE_STYLE).get_style_defs(".highlight")
    dark_rules = "\n".join("html.dark " + line if line.startswith(".highlight") else line
                           for line in dark.splitlines())
    auto_rules = "\n".join("html.auto " + line if line.startswith(".highlight") else line
                           for line in dark.splitlines())
    base = (web_assets() / "wiki.css").read_text(encoding="utf-8")
    return f"{base}\n{light}\n{dark_rules}\n@media (prefers-color-scheme: dark) {{\n{auto_rules}\n}}\n"


def document(page: RenderedPage, *, assets: str, theme: str = "auto", css: str | None = None,
             before: str = "", after: str = "") -> str:
    """A whole HTML document: ``assets`` is the URL prefix of resources/web's files (relative or file:).

    ``theme`` is "light", "dark" or "auto" (the browser's preference); ``css`` inlines the stylesheet
    instead of linking ``assets/wiki.css``; ``before``/``after`` are trusted HTML around the page
    (the static site's navigation and search box).
    """
    style = f"<style>{css}</style>" if css is not None else f'<link rel="stylesheet" href="{assets}/wiki.css">'
    title = html.escape(page.title or "RepoWiki")
    # Mermaid (3.5 MB of script to parse) only where a page has a diagram to draw
    scripts = (f'<script src="{assets}/mermaid.min.js"></script><script src="{assets}/diagrams.js"></script>'
               if '<div class="diagram"' in page.body else "")
    return (f'<!DOCTYPE html>\n<html class="{theme}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{title}</title>{style}</head>\n<body>{before}<main class=\"page\">{page.body}</main>{after}"
            f"{scripts}</body></html>\n")


def app_document(text: str, stale: frozenset[str] = frozenset()) -> str:
    """The window's page: assets from the installed resources (file: URLs), the stylesheet inline."""
    return document(render_page(text, stale=stale), assets=web_assets().as_uri(), css=stylesheet())
