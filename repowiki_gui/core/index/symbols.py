"""Definitions (classes, functions, methods) of a source file, found with tree-sitter.

The chunker only needs line ranges and names, so this module turns one parse
tree into a small tree of ``Definition`` objects and forgets the syntax tree.
Every grammar names its nodes differently; the tables below map each
language's node types onto four roles:

* class-like: a chunk of kind "class" whose function children are methods;
* function: a chunk of kind "function" (or "method" inside a class);
* wrapper: a node around a definition (decorators, ``export``, ``template<>``)
  whose line range is the definition's but whose name is the inner node's;
* transparent: a container (namespace, ``#ifdef``, ``extern "C"``) that is not
  a chunk itself: its definitions are chunked as if they were at its level,
  so a C# file wrapped in a namespace still yields "Greeter.Hello".
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

CODE_LANGUAGES = frozenset({
    "python", "javascript", "typescript", "tsx", "java", "go", "rust", "c", "cpp", "csharp",
    "ruby", "php",
})

# A generated file can nest namespaces or #ifdefs arbitrarily deep; past this
# depth the rest is chunked as plain lines rather than risking RecursionError.
_MAX_DEPTH = 40

_TS_CLASSES = {"class_declaration", "abstract_class_declaration", "class", "interface_declaration",
               "enum_declaration", "type_alias_declaration"}
_C_CLASSES = {"struct_specifier", "union_specifier", "enum_specifier", "type_definition"}

_CLASS_TYPES: dict[str, set[str]] = {
    "python": {"class_definition"},
    "javascript": {"class_declaration", "class"},
    "typescript": _TS_CLASSES,
    "tsx": _TS_CLASSES,
    "java": {"class_declaration", "interface_declaration", "enum_declaration", "record_declaration",
             "annotation_type_declaration"},
    "go": {"type_declaration"},
    "rust": {"struct_item", "enum_item", "union_item", "trait_item", "impl_item", "mod_item"},
    "c": _C_CLASSES,
    "cpp": _C_CLASSES | {"class_specifier"},
    "csharp": {"class_declaration", "struct_declaration", "interface_declaration",
               "enum_declaration", "record_declaration", "record_struct_declaration"},
    "ruby": {"class", "module"},
    "php": {"class_declaration", "interface_declaration", "trait_declaration", "enum_declaration"},
}

_JS_FUNCTIONS = {"function_declaration", "generator_function_declaration", "method_definition"}
_FUNCTION_TYPES: dict[str, set[str]] = {
    "python": {"function_definition"},
    "javascript": _JS_FUNCTIONS,
    "typescript": _JS_FUNCTIONS,
    "tsx": _JS_FUNCTIONS,
    "java": {"method_declaration", "constructor_declaration", "compact_constructor_declaration"},
    "go": {"function_declaration", "method_declaration"},
    "rust": {"function_item", "macro_definition"},
    "c": {"function_definition"},
    "cpp": {"function_definition"},
    "csharp": {"method_declaration", "constructor_declaration", "destructor_declaration",
               "operator_declaration", "conversion_operator_declaration",
               "local_function_statement"},
    "ruby": {"method", "singleton_method"},
    "php": {"function_definition", "method_declaration"},
}

_JS_WRAPPERS = {"export_statement"}
_WRAPPER_TYPES: dict[str, set[str]] = {
    "python": {"decorated_definition"},
    "javascript": _JS_WRAPPERS,
    "typescript": _JS_WRAPPERS | {"ambient_declaration"},
    "tsx": _JS_WRAPPERS | {"ambient_declaration"},
    "cpp": {"template_declaration"},
    "csharp": {"global_statement"},
}

_PREPROC = {"preproc_ifdef", "preproc_if", "preproc_else", "preproc_elif", "preproc_elifdef"}
_TRANSPARENT_TYPES: dict[str, set[str]] = {
    "c": _PREPROC | {"linkage_specification"},
    "cpp": _PREPROC | {"linkage_specification", "namespace_definition"},
    "csharp": {"namespace_declaration", "preproc_if", "preproc_else", "preproc_elif"},
    "php": {"namespace_definition"},
    "typescript": {"internal_module", "module"},
    "tsx": {"internal_module", "module"},
    "java": {"enum_body_declarations"},
    "ruby": {"singleton_class"},
}

# Nodes that, directly above a definition, belong to it (doc comments and
# attributes/decorators the grammar keeps as separate siblings).
_ATTACHED_TYPES = {"comment", "line_comment", "block_comment", "attribute_item", "decorator",
                   "inner_attribute_item"}

_BODY_TYPES = {"class_body", "declaration_list", "field_declaration_list", "body_statement",
               "block", "interface_body", "enum_body", "enum_member_declaration_list",
               "enum_declaration_list", "statement_block"}

_FUNCTION_VALUES = {"arrow_function", "function_expression", "function", "generator_function"}
_CLASS_VALUES = {"class"}
_NAME_LEAVES = {"identifier", "field_identifier", "qualified_identifier", "destructor_name",
                "operator_name", "type_identifier", "property_identifier", "name", "constant",
                "scope_resolution"}
_GENERIC_ARGS = re.compile(r"<[^<>]*>")


@dataclass
class Definition:
    """A class-like or function definition: its chunk kind, symbol and 0-based row range."""

    kind: str  # "class", "function" or "method"
    symbol: str
    start: int  # first row, including doc comments and decorators directly above
    end: int  # last row, inclusive
    members: list[Definition] = field(default_factory=list)


_local = threading.local()


def _parser(language: str):
    """One parser per language and thread: building one costs far more than a small parse."""
    cache = getattr(_local, "parsers", None)
    if cache is None:
        cache = _local.parsers = {}
    if language not in cache:
        from tree_sitter_language_pack import get_parser

        cache[language] = get_parser(language)
    return cache[language]


def find_definitions(language: str, source: str) -> list[Definition] | None:
    """Top-level definitions of ``source`` in line order, or None if ``language`` has no parser.

    A file with syntax errors still yields whatever definitions tree-sitter
    recovered; the chunker covers everything else as module code.
    """
    if language not in CODE_LANGUAGES:
        return None
    try:
        parser = _parser(language)
    except LookupError:
        return None
    # surrogatepass: a file decoded with surrogateescape must still parse;
    # only row numbers are read back, and those depend on "\n" alone.
    tree = parser.parse(source.encode("utf-8", "surrogatepass"))
    return _Collector(language).collect(tree.root_node, prefix="", member_kind="function", depth=0)


def _rows(node) -> tuple[int, int]:
    start, end = node.start_point, node.end_point
    end_row = end.row
    # Some nodes (Rust doc comments, preprocessor lines) own their newline and
    # so end at column 0 of the next row, which they do not occupy.
    if end.column == 0 and end_row > start.row:
        end_row -= 1
    return start.row, end_row


def _text(node) -> str:
    return node.text.decode("utf-8", "replace") if node is not None else ""


def _clean_name(name: str) -> str:
    """Drop generic arguments and whitespace; C++ "A::b" becomes "A.b" like other languages."""
    previous = None
    while previous != name:
        previous, name = name, _GENERIC_ARGS.sub("", name)
    name = " ".join(name.split())
    return name.replace("::", ".") if "::" in name and not name.startswith("::") else name


class _Collector:
    """Walks one tree for one language (the tables are looked up once, not per node)."""

    def __init__(self, language: str):
        self.lang = language
        self.classes = _CLASS_TYPES.get(language, set())
        self.functions = _FUNCTION_TYPES.get(language, set())
        self.wrappers = _WRAPPER_TYPES.get(language, set())
        self.transparent = _TRANSPARENT_TYPES.get(language, set())
        self.js = language in ("javascript", "typescript", "tsx")

    def collect(self, container, prefix: str, member_kind: str, depth: int) -> list[Definition]:
        """Definitions among the children of ``container``, names prefixed with ``prefix``."""
        found: list[Definition] = []
        if depth > _MAX_DEPTH:
            return found
        attached_start = None  # first row of a doc comment / attribute run above the next node
        attached_end = -2
        previous_end = -1
        for child in container.children:
            start, end = _rows(child)
            if child.type in _ATTACHED_TYPES:
                if start > previous_end and (attached_start is None or start > attached_end + 1):
                    attached_start = start  # a blank line ends the previous run
                if start > previous_end:
                    attached_end = end
                continue
            role = self.classify(child)
            if role is not None:
                kind, name, body = role
                if kind == "transparent":
                    found.extend(self.collect(body, prefix, member_kind, depth + 1))
                else:
                    if attached_start is not None and attached_end >= start - 1:
                        start = attached_start
                    found.append(self.definition(kind, name, body, start, end, prefix, member_kind,
                                                 depth))
            attached_start = None
            previous_end = end
        return found

    def definition(self, kind, name, body, start, end, prefix, member_kind, depth) -> Definition:
        if kind == "function":
            qualified = "." in name and self.lang in ("go", "cpp")  # Go receiver, C++ A::b
            chunk_kind = "method" if qualified else member_kind
            return Definition(chunk_kind, prefix + name, start, end)
        symbol = prefix + name
        members: list[Definition] = []
        if body is not None:
            inner_kind = "function" if self.lang == "rust" and kind == "module" else "method"
            members = self.collect(body, symbol + ".", inner_kind, depth + 1)
        return Definition("class", symbol, start, end, members)

    # -- roles ---------------------------------------------------------------

    def classify(self, node):
        """(kind, name, body) for a definition or transparent container, else None.

        kind is "class", "module" (a class-like whose functions stay functions),
        "function" or "transparent"; body is the node whose children are members.
        """
        t = node.type
        if t in self.wrappers:
            return self.unwrap(node)
        if t in self.transparent:
            return self.transparent_role(node)
        if t in self.functions:
            name = self.function_name(node)
            return ("function", name, None) if name else None
        if t in self.classes:
            return self.class_role(node)
        if self.js:
            return self.js_role(node)
        return None

    def unwrap(self, node):
        inner = node.child_by_field_name("definition") or node.child_by_field_name("declaration")
        candidates = [inner] if inner is not None else [c for c in node.named_children]
        for candidate in candidates:
            role = self.classify(candidate)
            if role is not None:
                return role
        if node.type == "export_statement" and any(c.type == "default" for c in node.children):
            value = node.child_by_field_name("value") or node.child_by_field_name("declaration")
            if value is not None and value.type in _FUNCTION_VALUES:
                return ("function", "default", None)
            if value is not None and value.type in _CLASS_VALUES | self.classes:
                return ("class", "default", self.body_of(value))
        return None

    def transparent_role(self, node):
        body = node.child_by_field_name("body")
        if node.type in ("namespace_definition", "internal_module", "module") and body is None:
            return None  # PHP "namespace A;" or TS "declare module 'x';": just a line
        return ("transparent", None, body if body is not None else node)

    def class_role(self, node):
        t, lang = node.type, self.lang
        body = self.body_of(node)
        if lang == "go":
            specs = [c for c in node.named_children if c.type in ("type_spec", "type_alias")]
            names = [_text(s.child_by_field_name("name")) for s in specs]
            name = ", ".join(n for n in names if n)
            return ("class", name, None) if name else None
        if lang in ("c", "cpp"):
            if t == "type_definition":
                inner = node.child_by_field_name("type")
                if inner is None or inner.child_by_field_name("body") is None:
                    return None  # "typedef int id_t;" is a declaration, not a type body
                name = self.declarator_name(node.child_by_field_name("declarator"))
                return ("class", _clean_name(name), self.body_of(inner)) if name else None
            if body is None:
                return None  # forward declaration "struct A;"
        if lang == "rust" and t == "impl_item":
            name = _clean_name(_text(node.child_by_field_name("type"))).split(".")[-1]
            return ("class", name, body) if name else None
        if lang == "rust" and t == "mod_item":
            name = _text(node.child_by_field_name("name"))
            return ("module", name, body) if name and body is not None else None
        name_node = node.child_by_field_name("name")
        name = _clean_name(_text(name_node)) if lang != "ruby" else _text(name_node)
        if not name:
            return None
        return ("class", name, body)

    def body_of(self, node):
        body = node.child_by_field_name("body")
        if body is not None:
            return body
        for child in node.named_children:
            if child.type in _BODY_TYPES:
                return child
        return None

    def function_name(self, node) -> str:
        t, lang = node.type, self.lang
        if lang in ("c", "cpp") and t == "function_definition":
            return _clean_name(self.declarator_name(node.child_by_field_name("declarator")))
        name = _text(node.child_by_field_name("name"))
        if lang == "go" and t == "method_declaration":
            receiver = self.receiver_type(node.child_by_field_name("receiver"))
            return f"{receiver}.{name}" if receiver and name else name
        if lang == "csharp" and not name and t in ("operator_declaration",
                                                    "conversion_operator_declaration"):
            op = node.child_by_field_name("operator") or node.child_by_field_name("type")
            return "operator " + _text(op).strip()
        return name

    def declarator_name(self, node, depth: int = 0) -> str:
        """The identifier inside a C/C++ declarator chain (pointers, parentheses, functions)."""
        while node is not None and depth < 20:
            if node.type in _NAME_LEAVES:
                return _text(node)
            inner = node.child_by_field_name("declarator")
            if inner is None:
                named = node.named_children
                inner = named[0] if named else None
            node, depth = inner, depth + 1
        return ""

    def receiver_type(self, receiver) -> str:
        if receiver is None:
            return ""
        stack = [receiver]
        while stack:  # the first type_identifier, whether behind "*" or before "[T]"
            node = stack.pop(0)
            if node.type == "type_identifier":
                return _text(node)
            stack[0:0] = [c for c in node.named_children if c.type != "identifier"]
        return ""

    def js_role(self, node):
        t = node.type
        if t in ("lexical_declaration", "variable_declaration"):
            for declarator in node.named_children:
                if declarator.type != "variable_declarator":
                    continue
                value = declarator.child_by_field_name("value")
                name = _text(declarator.child_by_field_name("name"))
                if value is None or not name:
                    continue
                if value.type in _FUNCTION_VALUES:
                    return ("function", name, None)
                if value.type in _CLASS_VALUES:
                    return ("class", name, self.body_of(value))
            return None
        if t in ("field_definition", "public_field_definition"):
            value = node.child_by_field_name("value")
            name_node = node.child_by_field_name("name") or node.child_by_field_name("property")
            if value is not None and value.type in _FUNCTION_VALUES and name_node is not None:
                return ("function", _text(name_node), None)
            return None
        if t == "expression_statement":
            expr = node.named_children[0] if node.named_children else None
            if expr is None:
                return None
            if expr.type in self.transparent:
                return self.transparent_role(expr)
            if expr.type == "assignment_expression":
                right = expr.child_by_field_name("right")
                left = _text(expr.child_by_field_name("left"))
                if right is not None and right.type in _FUNCTION_VALUES and left:
                    return ("function", left, None)  # exports.foo = function () {}
        return None
