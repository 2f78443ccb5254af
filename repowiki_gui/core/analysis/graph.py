"""The import graph between module units, and its Mermaid flowchart."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from repowiki_gui.core.analysis.units import ModuleUnit, unit_index

# Characters Mermaid reads as syntax even inside a quoted label, as its own entity codes.
# "#" comes first: every replacement below introduces one.
_ENTITIES = [("#", "#35;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;"), ("`", "#96;"),
             ("&", "#amp;"), ("\\", "#92;")]
EMPTY_LABEL = "no internal imports"


@dataclass
class ImportGraph:
    """Module unit keys, and (from_key, to_key) -> number of import statements between them."""

    nodes: list[str]
    edges: dict[tuple[str, str], int]


def build_graph(units: list[ModuleUnit], imports: dict[str, list[set[str]]]) -> ImportGraph:
    """Count, per pair of different units, the statements of one importing the other.

    ``imports`` maps a file to the repository files each of its import
    statements reaches; a statement reaching two files of one unit counts once.
    """
    where = unit_index(units)
    edges: dict[tuple[str, str], int] = defaultdict(int)
    for path, statements in imports.items():
        source = where.get(path)
        if source is None:
            continue
        for targets in statements:
            for target in {where.get(t) for t in targets}:
                if target is not None and target != source:
                    edges[(source, target)] += 1
    return ImportGraph(sorted(u.key for u in units), dict(sorted(edges.items())))


def import_graph_mermaid(graph: ImportGraph, modules: list[ModuleUnit], max_nodes: int = 25) -> str:
    """A Mermaid ``flowchart LR`` of the imports between units (the most connected if too many)."""
    names = {unit.key: unit.name for unit in modules}
    sizes = {unit.key: unit.lines for unit in modules}
    keys = [key for key in graph.nodes if key in names]
    edges = {(a, b): n for (a, b), n in graph.edges.items() if a != b and a in names and b in names}
    degree: dict[str, int] = defaultdict(int)
    for (a, b), count in edges.items():
        degree[a] += count
        degree[b] += count
    if len(keys) > max_nodes:
        ranked = sorted(keys, key=lambda k: (-degree[k], -sizes[k], k))
        keep = set(ranked[:max(max_nodes, 1)])
        keys = [key for key in keys if key in keep]
    ids = {key: f"n{index}" for index, key in enumerate(keys)}
    lines = ["flowchart LR"]
    if not keys:
        return f'flowchart LR\n    n0["{EMPTY_LABEL}"]\n'
    for key in keys:
        lines.append(f'    {ids[key]}["{mermaid_label(names[key])}"]')
    for (a, b) in sorted(edges):
        if a in ids and b in ids:
            lines.append(f"    {ids[a]} --> {ids[b]}")
    return "\n".join(lines) + "\n"


def mermaid_label(text: str) -> str:
    """``text`` made safe inside a quoted Mermaid label: one line, syntax characters as entities."""
    text = " ".join(text.split())
    for char, entity in _ENTITIES:
        text = text.replace(char, entity)
    return text or " "
