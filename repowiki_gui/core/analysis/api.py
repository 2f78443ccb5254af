"""The public API of Python files, read with the stdlib ``ast`` (exact signatures and docstrings).

Other languages go through tree-sitter in ``api_ts``. While a file
is parsed, its ``main`` function, ``__main__`` guard and ``__main__.py``
role are noted too, so no file is parsed twice for entry points.
"""
from __future__ import annotations

import ast
import posixpath
from dataclasses import dataclass

from repowiki_gui.core.analysis.entry import EntryPoint
from repowiki_gui.core.span import Span

# A docstring's first paragraph is the summary; past this it is a page, not a line.
MAX_DOC_CHARS = 300


@dataclass(frozen=True)
class ApiItem(Span):
    """A public class, function or method, with its 1-based line range (decorators included)."""

    module: str
    kind: str  # "class", "function" or "method"
    name: str  # "Flask" / "Flask.run"
    signature: str
    doc: str


def python_file(path: str, module: str, tree: ast.Module,
                with_api: bool) -> tuple[list[ApiItem], list[EntryPoint]]:
    """Public API items (when ``with_api``) and entry points of one parsed Python file."""
    items: list[ApiItem] = []
    entries: list[EntryPoint] = []
    if posixpath.basename(path) == "__main__.py":
        package = module.rsplit(".", 1)[0] if "." in module else module
        entries.append(EntryPoint("main_module", package, f"python -m {package}", path, 1))
    exported = _dunder_all(tree)
    seen: set[str] = set()
    for node in _module_level(tree.body, entries, path, module):
        if not isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        if node.name == "main" and not isinstance(node, ast.ClassDef):
            entries.append(EntryPoint("main_function", "main", f"{module}:main", path, node.lineno))
        public = node.name in exported if exported is not None else not node.name.startswith("_")
        if not with_api or not public or node.name in seen:
            continue
        seen.add(node.name)  # a name defined in both branches of try/except is one API item
        items.append(_item(path, module, node, node.name))
        if isinstance(node, ast.ClassDef):
            for member in node.body:
                if isinstance(member, (ast.FunctionDef, ast.AsyncFunctionDef)) and _public_method(
                        member.name):
                    items.append(_item(path, module, member, f"{node.name}.{member.name}"))
    return items, entries


def _public_method(name: str) -> bool:
    return name == "__init__" or not name.startswith("_")


def _module_level(body: list[ast.stmt], entries: list[EntryPoint], path: str, module: str):
    """Statements run at import time, including inside module-level ``if``/``try`` blocks."""
    for node in body:
        if isinstance(node, ast.If) and _is_main_guard(node.test):
            entries.append(EntryPoint("main_guard", module, module, path, node.lineno))
            continue  # what runs only as a script is not API
        yield node
        if isinstance(node, ast.If):
            yield from _module_level(node.body + node.orelse, entries, path, module)
        elif isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
            blocks = node.body + node.orelse + node.finalbody
            for handler in node.handlers:
                blocks += handler.body
            yield from _module_level(blocks, entries, path, module)


def _is_main_guard(test: ast.expr) -> bool:
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, test.comparators[0]]
    names = [s.id for s in sides if isinstance(s, ast.Name)]
    constants = [s.value for s in sides if isinstance(s, ast.Constant)]
    return names == ["__name__"] and constants == ["__main__"]


def _dunder_all(tree: ast.Module) -> set[str] | None:
    """The names of a literal ``__all__`` (with ``+=`` additions), or None when there is none."""
    names: set[str] | None = None
    for node in tree.body:
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        if not any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
            continue
        if not isinstance(node.value, (ast.List, ast.Tuple)):
            continue  # computed __all__: fall back to the underscore rule for what it adds
        listed = {e.value for e in node.value.elts
                  if isinstance(e, ast.Constant) and isinstance(e.value, str)}
        names = (names or set()) | listed if isinstance(node, ast.AugAssign) else listed
    return names


def _item(path: str, module: str, node, name: str) -> ApiItem:
    start = min([d.lineno for d in node.decorator_list] + [node.lineno])
    kind = "class" if isinstance(node, ast.ClassDef) else ("method" if "." in name else "function")
    return ApiItem(path, start, node.end_lineno or node.lineno, module, kind, name, _signature(node), _doc(node))


def _signature(node) -> str:
    if isinstance(node, ast.ClassDef):
        bases = [ast.unparse(b) for b in node.bases] + [ast.unparse(k) for k in node.keywords]
        return f"class {node.name}({', '.join(bases)})" if bases else f"class {node.name}"
    prefix = "async def" if isinstance(node, ast.AsyncFunctionDef) else "def"
    returns = f" -> {ast.unparse(node.returns)}" if node.returns is not None else ""
    return f"{prefix} {node.name}({ast.unparse(node.args)}){returns}"


def _doc(node) -> str:
    """The docstring's first paragraph on one line."""
    docstring = ast.get_docstring(node) or ""
    paragraph = docstring.strip().split("\n\n", 1)[0]
    text = " ".join(paragraph.split())
    return text if len(text) <= MAX_DOC_CHARS else text[:MAX_DOC_CHARS - 1].rstrip() + "…"
