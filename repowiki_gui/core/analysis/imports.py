"""Internal imports: which of the repository's own files each import statement reaches.

Python imports are read from the ``ast`` (absolute, src-layout aware, and
relative); JS/TS, Go, Rust, C/C++ and Java imports from their text with
patterns, then resolved against the repository's paths. An import that
resolves to no file of the repository is external and dropped, so every
edge joins two files that exist.
"""
from __future__ import annotations

import ast
import posixpath
import re
from collections import defaultdict

from repowiki_gui.core.analysis.common import package_dirs, python_module

_JS_EXTENSIONS = (".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts")
_JS_PATTERNS = [
    re.compile(r"""\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]"""),
    re.compile(r"""\bimport\s*['"]([^'"]+)['"]"""),
    re.compile(r"""\b(?:require|import)\s*\(\s*['"]([^'"]+)['"]\s*\)"""),
]
_GO_MODULE = re.compile(r"^module\s+(\S+)", re.MULTILINE)
_GO_SINGLE = re.compile(r"""^\s*import\s+(?:[\w.]+\s+)?"([^"]+)\"""", re.MULTILINE)
_GO_BLOCK = re.compile(r"^\s*import\s*\(([^)]*)\)", re.MULTILINE)
_GO_SPEC = re.compile(r'"([^"]+)"')
_RUST_MOD = re.compile(r"^\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;", re.MULTILINE)
_RUST_USE = re.compile(r"\buse\s+crate::(\w+)")
_C_INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.MULTILINE)
_JAVA_IMPORT = re.compile(r"^\s*import\s+(?:static\s+)?([\w.]+)\s*;", re.MULTILINE)


class ImportResolver:
    """Resolves import statements of one repository to its own file paths."""

    def __init__(self, files: dict[str, str]):
        self.paths = set(files)
        packages = package_dirs(self.paths)
        self.python: dict[str, str] = {}
        python_files = sorted(p for p in self.paths if p.endswith((".py", ".pyi")))
        for path in python_files:  # the package-relative name wins over the other spellings
            self.python.setdefault(python_module(path, packages), path)
        for path in python_files:
            stem = posixpath.splitext(path)[0].removesuffix("/__init__")
            self.python.setdefault(stem.replace("/", "."), path)
        self.go_modules = [(posixpath.dirname(p), m.group(1)) for p in sorted(self.paths)
                           if posixpath.basename(p) == "go.mod"
                           for m in [_GO_MODULE.search(files[p])] if m]
        self.go_dirs: dict[str, str] = {}
        for path in sorted(self.paths):
            if path.endswith(".go") and not path.endswith("_test.go"):
                self.go_dirs.setdefault(posixpath.dirname(path), path)
        self.basenames: dict[str, list[str]] = defaultdict(list)
        self.java: dict[str, str] = {}
        for path in sorted(self.paths):
            self.basenames[posixpath.basename(path)].append(path)
            if path.endswith(".java"):
                parts = path.split("/")
                for index in range(len(parts)):
                    self.java.setdefault("/".join(parts[index:]), path)

    # -- Python --------------------------------------------------------------

    def python_imports(self, path: str, tree: ast.Module) -> list[set[str]]:
        """For each import statement of ``path``, the repository files it imports."""
        found = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets = {self._absolute(alias.name) for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                targets = self._from(path, node)
            else:
                continue
            targets.discard(None)
            targets.discard(path)
            if targets:
                found.append(targets)
        return found

    def _absolute(self, dotted: str) -> str | None:
        parts = dotted.split(".")
        for end in range(len(parts), 0, -1):
            target = self.python.get(".".join(parts[:end]))
            if target is not None:
                return target
        return None

    def _from(self, path: str, node: ast.ImportFrom) -> set[str | None]:
        names = [alias.name for alias in node.names if alias.name != "*"]
        if not node.level:
            base = node.module or ""
            return {self._absolute(f"{base}.{name}") for name in names} or {self._absolute(base)}
        folder = posixpath.dirname(path)
        for _ in range(node.level - 1):
            folder = posixpath.dirname(folder)
        if node.module:
            folder = posixpath.join(folder, *node.module.split("."))
        targets = {self._python_file(posixpath.join(folder, name)) for name in names}
        targets.discard(None)
        return targets or {self._python_file(folder)}

    def _python_file(self, stem: str) -> str | None:
        for candidate in (stem + ".py", stem + "/__init__.py", stem + ".pyi"):
            candidate = posixpath.normpath(candidate)
            if candidate in self.paths:
                return candidate
        return None

    # -- other languages -----------------------------------------------------

    def source_imports(self, path: str, language: str, text: str) -> list[set[str]]:
        """For each import statement of a non-Python file, the repository files it imports."""
        if language in ("javascript", "typescript", "tsx"):
            specs = [m.group(1) for pattern in _JS_PATTERNS for m in pattern.finditer(text)]
            resolved = [self._js(path, spec) for spec in specs if spec.startswith(".")]
        elif language == "go":
            specs = [m.group(1) for m in _GO_SINGLE.finditer(text)]
            specs += [s for block in _GO_BLOCK.finditer(text) for s in _GO_SPEC.findall(block.group(1))]
            resolved = [self._go(spec) for spec in specs]
        elif language == "rust":
            resolved = [self._rust_mod(path, m.group(1)) for m in _RUST_MOD.finditer(text)]
            resolved += [self._rust_crate(path, m.group(1)) for m in _RUST_USE.finditer(text)]
        elif language in ("c", "cpp"):
            resolved = [self._include(path, m.group(1)) for m in _C_INCLUDE.finditer(text)]
        elif language == "java":
            resolved = [self._java(m.group(1)) for m in _JAVA_IMPORT.finditer(text)]
        else:
            resolved = []
        return [{target} for target in resolved if target is not None and target != path]

    def _js(self, path: str, spec: str) -> str | None:
        base = posixpath.normpath(posixpath.join(posixpath.dirname(path), spec.split("?")[0]))
        stems = [base]
        if base.endswith((".js", ".jsx", ".mjs", ".cjs")):  # TS sources imported by their output name
            stems.append(posixpath.splitext(base)[0])
        for stem in stems:
            candidates = [stem] + [stem + ext for ext in _JS_EXTENSIONS]
            candidates += [f"{stem}/index{ext}" for ext in _JS_EXTENSIONS]
            for candidate in candidates:
                if candidate in self.paths:
                    return candidate
        return None

    def _go(self, spec: str) -> str | None:
        for folder, module in self.go_modules:
            if spec == module or spec.startswith(module + "/"):
                rest = spec[len(module):].lstrip("/")
                target = posixpath.normpath(posixpath.join(folder, rest)) if rest else folder
                return self.go_dirs.get("" if target == "." else target)
        return None

    def _rust_mod(self, path: str, name: str) -> str | None:
        folder, stem = posixpath.split(posixpath.splitext(path)[0])
        if stem not in ("main", "lib", "mod"):
            folder = posixpath.join(folder, stem)  # "mod x;" in a.rs lives in a/x.rs
        return self._rust_file(posixpath.join(folder, name))

    def _rust_crate(self, path: str, name: str) -> str | None:
        folder = posixpath.dirname(path)
        while True:
            if any(posixpath.join(folder, root) in self.paths for root in ("lib.rs", "main.rs")):
                return self._rust_file(posixpath.join(folder, name))
            if not folder:
                return None
            folder = posixpath.dirname(folder)

    def _rust_file(self, stem: str) -> str | None:
        for candidate in (stem + ".rs", stem + "/mod.rs"):
            if candidate in self.paths:
                return candidate
        return None

    def _include(self, path: str, spec: str) -> str | None:
        local = posixpath.normpath(posixpath.join(posixpath.dirname(path), spec))
        if local in self.paths:
            return local
        same_name = self.basenames.get(posixpath.basename(spec), [])
        matching = [p for p in same_name if p == spec or p.endswith("/" + spec)]
        return matching[0] if len(matching) == 1 else None  # an ambiguous header is no edge

    def _java(self, dotted: str) -> str | None:
        parts = dotted.split(".")
        for end in (len(parts), len(parts) - 1):  # "import static a.B.m" names a member of a/B.java
            if end > 0:
                target = self.java.get("/".join(parts[:end]) + ".java")
                if target is not None:
                    return target
        return None
