"""Declared dependencies, read from the manifests of a repository without running anything.

pyproject.toml, requirements*.txt, setup.cfg, setup.py (its literal
arguments only, read with ``ast``), package.json, Cargo.toml and go.mod.
A manifest that does not parse contributes nothing: a wiki page must never
list a dependency the file does not declare.
"""
from __future__ import annotations

import ast
import configparser
import json
import posixpath
import re
import tomllib
from dataclasses import dataclass

from repowiki_gui.core.analysis.common import is_foreign

# A PEP 508 requirement's project name; the rest of the line is its spec.
_PEP508_NAME = re.compile(r"^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)(.*)$")
_DEV_WORDS = re.compile(r"dev|test|lint|doc|ci|check|type|format|bench", re.IGNORECASE)
_GO_REQUIRE = re.compile(r"^\s*([^\s()]+)\s+(v[^\s]+)(.*)$")


@dataclass
class Dependency:
    """One declared dependency: its name as written, the version spec, and where it is declared."""

    name: str
    spec: str
    group: str  # "runtime", "dev", "build" or "optional:<extra>"
    path: str


def dependencies(files: dict[str, str]) -> list[Dependency]:
    """Every dependency declared by the repository's own manifests, in path and file order."""
    found: list[Dependency] = []
    for path in sorted(files):
        if is_foreign(path):
            continue
        name = posixpath.basename(path)
        reader = _READERS.get(name)
        if reader is None and name.lower().endswith(".txt") and _is_requirements(path):
            reader = _requirements
        if reader is not None:
            found.extend(reader(path, files[path]))
    unique: dict[tuple[str, str, str], Dependency] = {}
    for dep in found:
        unique.setdefault((dep.name.lower(), dep.group, dep.path), dep)
    return list(unique.values())


def _is_requirements(path: str) -> bool:
    parts = path.lower().split("/")
    return parts[-1].startswith("requirements") or (len(parts) > 1 and parts[-2] == "requirements")


def _pep508(requirement: str, group: str, path: str) -> Dependency | None:
    match = _PEP508_NAME.match(requirement)
    if match is None:
        return None
    return Dependency(match.group(1), match.group(2).strip(), group, path)


def _pep508_all(requirements, group: str, path: str) -> list[Dependency]:
    if not isinstance(requirements, list):
        return []
    found = (_pep508(r, group, path) for r in requirements if isinstance(r, str))
    return [dep for dep in found if dep is not None]


def _pyproject(path: str, text: str) -> list[Dependency]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return []
    project = data.get("project", {})
    found = _pep508_all(project.get("dependencies"), "runtime", path)
    for extra, requirements in _table(project.get("optional-dependencies")).items():
        found += _pep508_all(requirements, f"optional:{extra}", path)
    found += _pep508_all(_table(data.get("build-system")).get("requires"), "build", path)
    for requirements in _table(data.get("dependency-groups")).values():
        found += _pep508_all(requirements, "dev", path)  # PEP 735 groups are never installed for users
    poetry = _table(_table(data.get("tool")).get("poetry"))
    found += _poetry(_table(poetry.get("dependencies")), "runtime", path)
    found += _poetry(_table(poetry.get("dev-dependencies")), "dev", path)
    for group in _table(poetry.get("group")).values():
        found += _poetry(_table(_table(group).get("dependencies")), "dev", path)
    return found


def _table(value) -> dict:
    return value if isinstance(value, dict) else {}


def _poetry(table: dict, group: str, path: str) -> list[Dependency]:
    # "python" in poetry's table is the interpreter constraint, not a package.
    return [Dependency(name, _version_of(value), group, path)
            for name, value in table.items() if name.lower() != "python"]


def _version_of(value) -> str:
    """A Poetry/Cargo value: "1.2" or {version = "1.2"} or {git = ...} / {path = ...}."""
    if isinstance(value, str):
        return value
    table = _table(value)
    for key in ("version", "git", "path", "url"):
        if isinstance(table.get(key), str):
            return table[key] if key == "version" else f"{key} {table[key]}"
    return "workspace" if table.get("workspace") is True else ""


def _requirements(path: str, text: str) -> list[Dependency]:
    group = "dev" if _DEV_WORDS.search(posixpath.basename(path)) else "runtime"
    found = []
    for raw in text.split("\n"):
        line = raw.split(" #", 1)[0].strip().rstrip("\\").strip()
        # Options (-r, -e, --hash...), comments, URLs and local paths are not named packages.
        if not line or line.startswith(("#", "-", ".", "/")) or "://" in line.split("@")[0]:
            continue
        dep = _pep508(line.split(" --", 1)[0], group, path)
        if dep is not None:
            found.append(dep)
    return found


def _setup_cfg(path: str, text: str) -> list[Dependency]:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error:
        return []
    found: list[Dependency] = []
    options = parser["options"] if parser.has_section("options") else {}
    for key, group in (("install_requires", "runtime"), ("setup_requires", "build"),
                       ("tests_require", "dev")):
        found += _pep508_all(_cfg_list(options.get(key, "")), group, path)
    if parser.has_section("options.extras_require"):
        for extra, value in parser["options.extras_require"].items():
            found += _pep508_all(_cfg_list(value), f"optional:{extra}", path)
    return found


def _cfg_list(value: str) -> list[str]:
    items = []
    for line in value.replace(";", "\n;").split("\n"):
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith(";"):
            items.append(line)
    return items


def _setup_py(path: str, text: str) -> list[Dependency]:
    """Literal keyword arguments of ``setup(...)``; anything computed is left out."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError):
        return []
    found: list[Dependency] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        for keyword in node.keywords:
            try:
                value = ast.literal_eval(keyword.value)
            except (ValueError, TypeError, SyntaxError, RecursionError):
                continue
            if keyword.arg == "install_requires":
                found += _pep508_all(value, "runtime", path)
            elif keyword.arg == "setup_requires":
                found += _pep508_all(value, "build", path)
            elif keyword.arg == "tests_require":
                found += _pep508_all(value, "dev", path)
            elif keyword.arg == "extras_require" and isinstance(value, dict):
                for extra, requirements in value.items():
                    found += _pep508_all(requirements, f"optional:{extra}", path)
    return found


def _package_json(path: str, text: str) -> list[Dependency]:
    try:
        data = json.loads(text)
    except ValueError:
        return []
    found = []
    # Peer dependencies must be installed next to the package to run it.
    for key, group in (("dependencies", "runtime"), ("peerDependencies", "runtime"),
                       ("devDependencies", "dev"), ("optionalDependencies", "optional:optional")):
        for name, spec in _table(_table(data).get(key)).items():
            found.append(Dependency(name, spec if isinstance(spec, str) else "", group, path))
    return found


def _cargo(path: str, text: str) -> list[Dependency]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return []
    tables = [data] + [_table(t) for t in _table(data.get("target")).values()]
    tables.append(_table(data.get("workspace")))
    found = []
    for table in tables:
        for key, group in (("dependencies", "runtime"), ("dev-dependencies", "dev"),
                           ("build-dependencies", "build")):
            for name, value in _table(table.get(key)).items():
                found.append(Dependency(name, _version_of(value), group, path))
    return found


def _go_mod(path: str, text: str) -> list[Dependency]:
    """Direct requirements only: ``// indirect`` ones are dependencies of dependencies."""
    found = []
    in_block = False
    for raw in text.split("\n"):
        line = raw.strip()
        if in_block and line.startswith(")"):
            in_block = False
            continue
        if line.startswith("require") and line.rstrip().endswith("("):
            in_block = True
            continue
        if line.startswith("require "):
            line = line[len("require "):]
        elif not in_block:
            continue
        match = _GO_REQUIRE.match(line)
        if match and "indirect" not in match.group(3):
            found.append(Dependency(match.group(1), match.group(2), "runtime", path))
    return found


_READERS = {
    "pyproject.toml": _pyproject,
    "setup.cfg": _setup_cfg,
    "setup.py": _setup_py,
    "package.json": _package_json,
    "Cargo.toml": _cargo,
    "go.mod": _go_mod,
}
