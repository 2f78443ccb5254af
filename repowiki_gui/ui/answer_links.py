"""What the chat shows of a source, and what a link an answer wrote may open."""
from __future__ import annotations

import re
from urllib.parse import unquote

_LINE_SUFFIX = re.compile(r"(?::(\d+)(?:-(\d+))?|#L?(\d+)(?:-L?(\d+))?)$")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def reference_label(ref: dict, with_repo: bool = False) -> str:
    """``path:start-end (symbol)`` as the user sees a source; ``repo:path…`` with ``with_repo``."""
    where = f"{ref['repo']}:{ref['path']}" if with_repo and ref.get("repo") else ref["path"]
    label = f"{where}:{ref['start_line']}-{ref['end_line']}"
    if ref.get("kind") == "wiki":
        label = f"wiki {label}"   # a page of the generated wiki, not a file of the repository
    return f"{label} ({ref['symbol']})" if ref.get("symbol") else label


def several_repos(references: list[dict]) -> bool:
    """True when ``references`` come from more than one repository: then each label names its own."""
    return len({r.get("repo", "") for r in references}) > 1


def link_target(href: str, references: list[dict]) -> dict | None:
    """What a link in an answer may open, as a reference (path, lines, kind), or None: a URL stays text.

    ``src/app.py``, ``src/app.py#L10-L20`` and ``app.py:10`` name a file of the repository (a cited
    one when the path is a source's, or ends one source's path); a cited wiki page opens in the wiki.
    """
    href = href.strip()
    m = _LINE_SUFFIX.search(href)
    path = href[:m.start()] if m else href
    if not path or _SCHEME.match(path) or path.startswith(("//", "\\")) or "?" in path:
        return None   # http:, mailto:, javascript:, file:, C:\…, //host/…
    path = unquote(path.split("#", 1)[0])
    while path.startswith(("./", "/")):
        path = path[2:] if path.startswith("./") else path[1:]
    if not path or ".." in path.split("/"):
        return None
    start = int(next((g for g in m.groups()[0::2] if g), 0)) if m else 0
    end = int(next((g for g in m.groups()[1::2] if g), 0)) if m else 0
    cited = [r for r in references if r["path"] == path] or \
        [r for r in references if r["path"].endswith("/" + path)]
    if cited and len({r["path"] for r in cited}) == 1:
        ref = cited[0]
        start = start or int(ref["start_line"])
        end = end or (start if m else int(ref["end_line"]))
        return {"path": ref["path"], "start_line": start, "end_line": max(start, end),
                "symbol": "", "kind": ref.get("kind", "code"), "repo": ref.get("repo", "")}
    start = start or 1
    return {"path": path, "start_line": start, "end_line": max(start, end or start), "symbol": "", "kind": "code"}
