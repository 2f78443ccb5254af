"""Wiki markdown to the HTML subset QTextBrowser shows; pure Python, so the bridge thread can run it.

The markdown comes from a language model that read an untrusted repository, so
raw HTML in it is never interpreted: Python-Markdown's raw HTML handling is
switched off and ``<img onerror=…>`` shows as the text it is.  The only HTML in
the result is what this module writes: headings, lists, tables, links (hrefs
kept as written; the view decides what a click does), code coloured by pygments
with inline styles (QTextBrowser reads ``style`` attributes, not stylesheets),
and Mermaid diagrams as a labelled block listing their nodes and arrows.
"""
from __future__ import annotations

import html
import re

import markdown
from markdown.preprocessors import Preprocessor
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import TextLexer, get_lexer_by_name
from pygments.util import ClassNotFound

from ..core.markup import closes_fence, fence_opening, markdown_headings

CODE_STYLE = "default"         # a light pygments style: code blocks keep their own light background
CODE_BACKGROUND = "#f6f8fa"
CODE_FOREGROUND = "#1f2328"
DIAGRAM_BACKGROUND = "#eef3fb"
_HEADING_TAG = re.compile(r"<h([1-6])( id=\"[^\"]*\")?>")
# "A[Label] -->|text| B(Other)" and friends: the arrows of a flowchart or graph
_NODE = r"([A-Za-z0-9_.:/-]+)(?:\s*[\[({]+\s*\"?(.*?)\"?\s*[\])}]+)?"
_EDGE = re.compile(_NODE + r"\s*(-{2,3}>|={2,3}>|-\.->|-{2,3}|-\.-)\s*(?:\|\s*\"?(.*?)\"?\s*\|\s*)?" + _NODE)
_NODE_ONLY = re.compile(r"^" + _NODE + r"$")
_SEQUENCE = re.compile(r"^\s*([^-\s>:][^:>]*?)\s*-{1,2}>>?\s*([^:]+?)\s*:\s*(.*)$")


def _box(inner: str, background: str) -> str:
    """One padded cell (QTextBrowser pads table cells, not ``<pre>``), dark text on light in any palette."""
    return (f'<table width="100%" cellspacing="0" cellpadding="8" style="margin-top: 4px; margin-bottom: 8px;">'
            f'<tr><td style="background-color: {background}; color: {CODE_FOREGROUND};">{inner}</td></tr></table>')


def code_block(code: str, lang: str) -> str:
    """Code coloured by pygments with inline styles, on a light background."""
    try:
        lexer = get_lexer_by_name(lang, stripnl=False) if lang else TextLexer()
    except ClassNotFound:
        lexer = TextLexer()
    spans = highlight(code, lexer, HtmlFormatter(noclasses=True, nowrap=True, style=CODE_STYLE))
    return _box(f'<pre style="color: {CODE_FOREGROUND};">{spans.rstrip()}</pre>', CODE_BACKGROUND)


def _mermaid_arrows(source: str) -> list[str]:
    """Readable "A → B" lines for the arrows a flowchart or sequence diagram draws."""
    labels: dict[str, str] = {}
    arrows: list[tuple[str, str, str]] = []
    for line in source.splitlines():
        line = line.strip().rstrip(";")
        m = _EDGE.search(line)
        if m:
            a, a_label, _arrow, text, b, b_label = m.groups()
            for node, label in ((a, a_label), (b, b_label)):
                if label:
                    labels[node] = label
            arrows.append((a, b, text or ""))
            continue
        m = _NODE_ONLY.match(line)
        if m and m.group(2):   # `n0["flask/app.py"]`: a node declared before the arrows that use it
            labels[m.group(1)] = m.group(2)
            continue
        m = _SEQUENCE.match(line)
        if m and not line.startswith(("participant", "actor", "note", "Note")):
            arrows.append((m.group(1), m.group(2), m.group(3)))
    out = []
    for a, b, text in arrows:
        arrow = f"{labels.get(a, a)} → {labels.get(b, b)}"
        out.append(f"{arrow}: {text}" if text else arrow)
    return out


def mermaid_block(source: str) -> str:
    """A Mermaid diagram as a labelled block: its kind, its arrows in words, then its source."""
    first = next((line.strip() for line in source.splitlines() if line.strip()), "")
    kind = first.split()[0] if first else "diagram"
    arrows = _mermaid_arrows(source)
    parts = [f"<p><b>Diagram (Mermaid): {html.escape(kind)}</b></p>"]
    if arrows:
        parts.append("<ul>" + "".join(f"<li>{html.escape(a)}</li>" for a in arrows) + "</ul>")
    parts.append(f'<pre style="color: {CODE_FOREGROUND};">{html.escape(source.rstrip())}</pre>')
    return _box("".join(parts), DIAGRAM_BACKGROUND)


def _fence_info(line: str, fence: str) -> str | None:
    """The info string after ``fence`` on its opening line; None when a backtick in it makes the line text."""
    info = line.strip()[len(fence):].strip()
    return None if fence[0] == "`" and "`" in info else info


def split_fences(text: str) -> list[tuple[str, str, str]]:
    """``text`` as runs in order: ("text", markdown, "") between fenced blocks, ("code", code, lang) for each.

    The fences are core.markup's; a block's lines lose its opening fence's indentation, and an
    unclosed fence runs to the end.
    """
    runs: list[tuple[str, str, str]] = []
    prose: list[str] = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        fence = fence_opening(lines[i])
        info = _fence_info(lines[i], fence) if fence else None
        if info is None:
            prose.append(lines[i])
            i += 1
            continue
        if prose:
            runs.append(("text", "\n".join(prose), ""))
            prose = []
        indent = len(lines[i]) - len(lines[i].lstrip(" "))
        body, j = [], i + 1
        while j < len(lines) and not closes_fence(fence, lines[j]):
            line = lines[j]
            body.append(line[min(indent, len(line) - len(line.lstrip(" "))):])
            j += 1
        runs.append(("code", "\n".join(body) + "\n", info.split()[0].lower() if info else ""))
        i = j + 1   # past the closing fence
    if prose:
        runs.append(("text", "\n".join(prose), ""))
    return runs


class _Fences(Preprocessor):
    """Replaces each fenced block with its finished HTML, kept aside from markdown parsing."""

    def run(self, lines: list[str]) -> list[str]:
        out: list[str] = []
        for kind, body, lang in split_fences("\n".join(lines)):
            if kind == "text":
                out += body.split("\n")
            else:
                block = mermaid_block(body) if lang == "mermaid" else code_block(body, lang)
                out += ["", self.md.htmlStash.store(block), ""]
        return out


def heading_lines(text: str) -> list[int]:
    """1-based line numbers of the headings of ``text`` outside fenced blocks, in order."""
    return [h.row + 1 for h in markdown_headings(text.split("\n"))]


def _markdown() -> markdown.Markdown:
    md = markdown.Markdown(extensions=["tables", "sane_lists", "toc"], output_format="html",
                           extension_configs={"toc": {"permalink": False}})
    md.preprocessors.deregister("html_block")   # raw HTML is text, never markup
    md.inlinePatterns.deregister("html")
    md.preprocessors.register(_Fences(md), "repowiki_fences", 29)
    return md


def render_markdown(text: str) -> str:
    """HTML for QTextBrowser: tables, coloured code, Mermaid as a readable block, raw HTML as text.

    Every heading keeps its id and holds an anchor ``line-N`` (N: its line in ``text``), so a view
    can scroll to the section that holds a given line of the page.
    """
    body = _markdown().convert(text)
    lines = heading_lines(text)
    if len(lines) == len(_HEADING_TAG.findall(body)):   # else (setext headings) the lines are unknown
        numbers = iter(lines)
        body = _HEADING_TAG.sub(lambda m: f'{m.group(0)}<a name="line-{next(numbers)}"></a>', body)
    body = body.replace("<table>", '<table border="1" cellspacing="0" cellpadding="4" '
                                   'style="border-collapse: collapse; margin-bottom: 8px;">')
    return f"<html><body>{body}</body></html>"
