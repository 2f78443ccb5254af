"""Module units: the parts of a repository that each get a wiki page.

A unit is a top-level folder holding code (``src/``-like wrappers are
looked through), or the code files at the root. A unit that dominates the
code is split one level, so a repository whose code all lives in
``src/flask`` still gets a page per subpackage and module.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from repowiki_gui.core.analysis.common import WRAPPER_DIRS, is_non_api

MAX_UNITS = 20
# A unit with more than this share of the product's code lines (not tests, docs, examples) is split.
DOMINANT_SHARE = 0.6
MIN_CHILDREN_TO_SPLIT = 3
ROOT_KEY, ROOT_NAME = "", "(root)"
OTHER_KEY = OTHER_NAME = "(other)"


@dataclass
class ModuleUnit:
    """A page-sized part of the repository; ``languages`` maps language -> code lines."""

    key: str  # folder path, file path for a one-file unit, "" for the root, "(other)"
    name: str
    files: list[str]
    lines: int
    languages: dict[str, int]
    folded: list[str] = field(default_factory=list)  # keys gathered into "(other)"


def module_units(code: dict[str, tuple[str, int]]) -> list[ModuleUnit]:
    """Units of the code files ``code`` (path -> (language, lines)), sorted by key."""
    groups: dict[str, list[str]] = defaultdict(list)
    for path in code:
        groups[_top_key(path)].append(path)
    # Tests, docs and examples do not count: Flask's tests are nearly as big as src/flask itself.
    product = {k: sum(code[p][1] for p in paths if not is_non_api(p)) for k, paths in groups.items()}
    total = sum(product.values())
    if total and groups:
        biggest = max(groups, key=lambda k: (product[k], k))
        share = product[biggest] / total
        if biggest != ROOT_KEY and share > DOMINANT_SHARE:
            children = _split(biggest, groups[biggest])
            if len(children) >= MIN_CHILDREN_TO_SPLIT:
                del groups[biggest]
                groups.update(children)
    units = [_unit(key, paths, code) for key, paths in groups.items()]
    units.sort(key=lambda u: (-u.lines, u.key))
    if len(units) > MAX_UNITS:
        kept, rest = units[:MAX_UNITS - 1], units[MAX_UNITS - 1:]
        other = _unit(OTHER_KEY, [p for u in rest for p in u.files], code)
        other.folded = sorted(u.key for u in rest)
        units = kept + [other]
    _unique_names(units)
    return sorted(units, key=lambda u: u.key)


def _top_key(path: str) -> str:
    parts = path.split("/")
    if len(parts) == 1:
        return ROOT_KEY
    if parts[0] in WRAPPER_DIRS and len(parts) > 2:
        return "/".join(parts[:2])
    return parts[0]


def _split(key: str, paths: list[str]) -> dict[str, list[str]]:
    """The unit ``key`` cut one level deeper: its subfolders and its own files."""
    children: dict[str, list[str]] = defaultdict(list)
    depth = key.count("/") + 1
    for path in paths:
        parts = path.split("/")
        children["/".join(parts[:depth + 1])].append(path)
    return children


def _unit(key: str, paths: list[str], code: dict[str, tuple[str, int]]) -> ModuleUnit:
    languages: dict[str, int] = defaultdict(int)
    for path in paths:
        languages[code[path][0]] += code[path][1]
    return ModuleUnit(key, _name(key), sorted(paths), sum(languages.values()), dict(languages))


def _name(key: str) -> str:
    if key == ROOT_KEY:
        return ROOT_NAME
    parts = key.split("/")
    if len(parts) > 1 and parts[0] in WRAPPER_DIRS:
        parts = parts[1:]  # "src/flask/json" reads as "flask/json"
    return "/".join(parts)


def _unique_names(units: list[ModuleUnit]) -> None:
    """Unwrapping can make "src/app" and "app" both "app": those keep their full key."""
    count: dict[str, int] = defaultdict(int)
    for unit in units:
        count[unit.name] += 1
    for unit in units:
        if count[unit.name] > 1 and unit.key not in (ROOT_KEY, OTHER_KEY):
            unit.name = unit.key


def unit_index(units: list[ModuleUnit]) -> dict[str, str]:
    """path -> unit key for every code file of every unit."""
    return {path: unit.key for unit in units for path in unit.files}


def unit_of(units: list[ModuleUnit], path: str) -> ModuleUnit | None:
    """The unit holding ``path``, a code file or any other file under a unit's folder."""
    best: tuple[int, ModuleUnit] | None = None
    for unit in units:
        if path in unit.files:
            return unit
        for key in unit.folded or [unit.key]:
            if key == ROOT_KEY:
                matched = 0 if "/" not in path else -1
            else:
                matched = len(key) if path == key or path.startswith(key + "/") else -1
            if matched >= 0 and (best is None or matched > best[0]):
                best = (matched, unit)
    return best[1] if best else None

