"""Where a repository starts: declared scripts, main functions, Make targets, container commands.

Manifest entry points (pyproject, setup.cfg, setup.py, package.json) and
Makefiles/Dockerfiles are read here; ``main`` functions and ``__main__``
guards are found per source file by ``api`` while it has the file
parsed. Every line number points at the line that names the entry point.
"""
from __future__ import annotations

import ast
import configparser
import json
import posixpath
import re
import tomllib
from dataclasses import dataclass

from repowiki_gui.core.analysis.common import is_foreign, key_line, section_index

_MAKE_RULE = re.compile(r"^([^\s:=#][^:=#]*?)\s*::?(?![:=])(.*)$")
_TARGET_VARIABLE = re.compile(r"^\s*[\w.-]+\s*(?:[:+?!]|::)?=")  # "prog: CFLAGS += -g"
_DOCKER_START = re.compile(r"^\s*(ENTRYPOINT|CMD)\b(.*)$", re.IGNORECASE)
_CFG_ITEM = re.compile(r"^\s*([^=\s][^=]*?)\s*=\s*(\S.*?)\s*$")


@dataclass
class EntryPoint:
    """A way the project is started, with the 1-based line that declares it."""

    kind: str
    name: str
    target: str
    path: str
    line: int


def manifest_entry_points(files: dict[str, str]) -> list[EntryPoint]:
    """Entry points declared by manifests, Makefiles and Dockerfiles, in path order."""
    found: list[EntryPoint] = []
    for path in sorted(files):
        if is_foreign(path):
            continue
        name = posixpath.basename(path)
        text = files[path]
        if name == "pyproject.toml":
            found += _pyproject(path, text)
        elif name == "setup.cfg":
            found += _setup_cfg(path, text)
        elif name == "setup.py":
            found += _setup_py(path, text)
        elif name == "package.json":
            found += _package_json(path, text)
        elif name in ("Makefile", "makefile", "GNUmakefile") or name.endswith(".mk"):
            found += _makefile(path, text)
        elif _is_dockerfile(name):
            found += _dockerfile(path, text)
    return found


def _is_dockerfile(name: str) -> bool:
    lower = name.lower()
    return (lower in ("dockerfile", "containerfile") or lower.startswith("dockerfile.")
            or lower.endswith(".dockerfile"))


def _pyproject(path: str, text: str) -> list[EntryPoint]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return []
    lines = text.split("\n")
    project = data.get("project") if isinstance(data.get("project"), dict) else {}
    poetry = data.get("tool", {}).get("poetry", {}) if isinstance(data.get("tool"), dict) else {}
    sections = [("console_script", "project.scripts", project.get("scripts")),
                ("gui_script", "project.gui-scripts", project.get("gui-scripts")),
                ("console_script", "tool.poetry.scripts",
                 poetry.get("scripts") if isinstance(poetry, dict) else None)]
    found = []
    for kind, header, table in sections:
        if not isinstance(table, dict):
            continue
        start = section_index(lines, header)
        for name, target in table.items():
            if isinstance(target, dict):  # poetry's {reference = "...", type = "console"}
                target = target.get("reference", "")
            if isinstance(target, str):
                found.append(EntryPoint(kind, name, target, path, key_line(lines, name, start)))
    return found


def _setup_cfg(path: str, text: str) -> list[EntryPoint]:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error:
        return []
    if not parser.has_section("options.entry_points"):
        return []
    lines = text.split("\n")
    start = section_index(lines, "options.entry_points")
    found = []
    for group, kind in (("console_scripts", "console_script"), ("gui_scripts", "gui_script")):
        value = parser["options.entry_points"].get(group, "")
        for item in value.split("\n"):
            match = _CFG_ITEM.match(item)
            if match:
                name, target = match.groups()
                found.append(EntryPoint(kind, name, target, path, key_line(lines, name, start)))
    return found


def _setup_py(path: str, text: str) -> list[EntryPoint]:
    """``entry_points={"console_scripts": ["name = mod:func"]}`` written as a literal."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError):
        return []
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        for keyword in node.keywords:
            if keyword.arg != "entry_points" or not isinstance(keyword.value, ast.Dict):
                continue
            for key, value in zip(keyword.value.keys, keyword.value.values):
                kind = {"console_scripts": "console_script", "gui_scripts": "gui_script"}.get(
                    key.value if isinstance(key, ast.Constant) else None)
                items = value.elts if kind and isinstance(value, (ast.List, ast.Tuple)) else []
                for item in items:
                    if isinstance(item, ast.Constant) and isinstance(item.value, str):
                        match = _CFG_ITEM.match(item.value)
                        if match:
                            found.append(EntryPoint(kind, *match.groups(), path, item.lineno))
    return found


def _package_json(path: str, text: str) -> list[EntryPoint]:
    try:
        data = json.loads(text)
    except ValueError:
        return []
    if not isinstance(data, dict):
        return []
    lines = text.split("\n")
    found = []
    package = data.get("name") if isinstance(data.get("name"), str) else posixpath.dirname(path)
    bin_line = key_line(lines, "bin")
    bins = data.get("bin")
    if isinstance(bins, str):
        found.append(EntryPoint("npm_bin", package.split("/")[-1] or "bin", bins, path, bin_line))
    elif isinstance(bins, dict):
        for name, target in bins.items():
            if isinstance(target, str):
                found.append(EntryPoint("npm_bin", name, target, path,
                                        key_line(lines, name, bin_line - 1)))
    if isinstance(data.get("main"), str):
        found.append(EntryPoint("npm_main", package or "main", data["main"], path,
                                key_line(lines, "main")))
    scripts = data.get("scripts")
    if isinstance(scripts, dict):
        start = key_line(lines, "scripts") - 1
        for name, command in scripts.items():
            if isinstance(command, str):
                found.append(EntryPoint("npm_script", name, command, path,
                                        key_line(lines, name, start)))
    return found


def _makefile(path: str, text: str) -> list[EntryPoint]:
    """Explicit targets; special (.PHONY), pattern (%) and computed ($(...)) ones are not entry points."""
    lines = text.split("\n")
    found: list[EntryPoint] = []
    seen: set[str] = set()
    in_define = False
    for index, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("define ") or stripped == "define":
            in_define = True
        elif stripped == "endef":
            in_define = False
        if in_define or line.startswith("\t") or not stripped:
            continue
        match = _MAKE_RULE.match(line)
        if match is None or _TARGET_VARIABLE.match(match.group(2)):
            continue
        recipe = _first_recipe(lines, index, match.group(2))
        for name in match.group(1).split():
            if name.startswith(".") or "%" in name or "$" in name or name in seen:
                continue
            seen.add(name)
            found.append(EntryPoint("make_target", name, recipe or name, path, index + 1))
    return found


def _first_recipe(lines: list[str], index: int, rest: str) -> str:
    if ";" in rest:  # "target: prereq ; command"
        return rest.split(";", 1)[1].strip()
    for line in lines[index + 1:]:
        if not line.startswith("\t"):
            return ""
        if line.strip() and not line.strip().startswith("#"):
            return line.strip()
    return ""


def _dockerfile(path: str, text: str) -> list[EntryPoint]:
    lines = text.split("\n")
    found = []
    for index, line in enumerate(lines):
        match = _DOCKER_START.match(line)
        if match is None:
            continue
        parts = [line.strip()]
        follow = index
        while parts[-1].endswith("\\") and follow + 1 < len(lines):  # continued instruction
            parts[-1] = parts[-1][:-1].strip()
            follow += 1
            parts.append(lines[follow].strip())
        instruction = " ".join(part for part in parts if part)
        found.append(EntryPoint("dockerfile", match.group(1).upper(), instruction, path, index + 1))
    return found

