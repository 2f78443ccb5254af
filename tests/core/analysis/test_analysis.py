"""Static facts about a repository: every path, name and line must come from the input files."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from repowiki_gui.core.analysis import RepoFacts, analyse, import_graph_mermaid
from repowiki_gui.core.analysis.graph import ImportGraph
from repowiki_gui.core.analysis.units import ModuleUnit
from repowiki_gui.core.errors import JobCancelled

from helpers.mermaid_check import mermaid_errors
from helpers.progress_recorder import Recorder


ROOT = Path(__file__).resolve().parents[3]


def entries(facts: RepoFacts, kind: str) -> dict[str, tuple[str, str, int]]:
    return {e.name: (e.target, e.path, e.line) for e in facts.entry_points if e.kind == kind}


def deps(facts: RepoFacts) -> set[tuple[str, str, str]]:
    return {(d.name, d.spec, d.group) for d in facts.dependencies}


def api(facts: RepoFacts) -> dict[str, object]:
    return {item.name: item for item in facts.api}


def line(files: dict[str, str], path: str, number: int) -> str:
    return files[path].split("\n")[number - 1]


# --- manifests: entry points and dependencies ------------------------------------------

PYPROJECT = """\
[build-system]
requires = ["hatchling>=1.20"]

[project]
name = "tool"
dependencies = [
    "click>=8.1",
    "requests[socks] >=2; python_version>'3.8'",
]

[project.optional-dependencies]
async = ["aiohttp==3.9.*"]

[project.scripts]
tool = "tool.cli:main"
tool-admin = "tool.admin:run"

[project.gui-scripts]
tool-gui = "tool.gui:start"

[dependency-groups]
dev = ["pytest>=8", {include-group = "lint"}]
"""


def test_pyproject_scripts_dependencies_and_extras():
    files = {"pyproject.toml": PYPROJECT}
    facts = analyse(files)
    scripts = entries(facts, "console_script")
    assert scripts == {"tool": ("tool.cli:main", "pyproject.toml", 15),
                       "tool-admin": ("tool.admin:run", "pyproject.toml", 16)}
    assert entries(facts, "gui_script") == {"tool-gui": ("tool.gui:start", "pyproject.toml", 19)}
    assert line(files, "pyproject.toml", 15).startswith("tool =")
    assert deps(facts) == {("click", ">=8.1", "runtime"),
                           ("requests", "[socks] >=2; python_version>'3.8'", "runtime"),
                           ("aiohttp", "==3.9.*", "optional:async"),
                           ("hatchling", ">=1.20", "build"), ("pytest", ">=8", "dev")}


def test_setup_cfg_setup_py_and_requirements():
    files = {
        "setup.cfg": "[metadata]\nname = old\n\n[options]\ninstall_requires =\n    numpy>=1.22\n"
                     "    scipy\n\n[options.extras_require]\nplot = matplotlib>=3\n\n"
                     "[options.entry_points]\nconsole_scripts =\n    old-tool = old.main:cli\n",
        "setup.py": "from setuptools import setup\nsetup(\n    name='x',\n    entry_points={\n"
                    "        'console_scripts': [\n            'xcli = x.cli:main',\n        ],\n    },\n"
                    "    install_requires=['attrs>=22'],\n)\n",
        "requirements.txt": "# pinned\n-r base.txt\n-e .\nflask==3.0.0  # web\n\n--index-url https://x\n"
                            "gunicorn>=21 --hash=sha256:abc\ngit+https://github.com/a/b.git\n",
        "requirements-dev.txt": "ruff==0.4\n",
    }
    facts = analyse(files)
    assert deps(facts) == {("numpy", ">=1.22", "runtime"), ("scipy", "", "runtime"),
                           ("matplotlib", ">=3", "optional:plot"), ("attrs", ">=22", "runtime"),
                           ("flask", "==3.0.0", "runtime"), ("gunicorn", ">=21", "runtime"),
                           ("ruff", "==0.4", "dev")}
    assert entries(facts, "console_script") == {"old-tool": ("old.main:cli", "setup.cfg", 14),
                                                "xcli": ("x.cli:main", "setup.py", 6)}


def test_package_json_bin_main_scripts_and_dependencies():
    files = {"package.json": json.dumps({
        "name": "@acme/cli", "main": "dist/index.js", "bin": {"acme": "bin/acme.js"},
        "scripts": {"build": "tsc -p .", "test": "vitest"},
        "dependencies": {"commander": "^12.0.0"}, "devDependencies": {"typescript": "~5.4"},
        "peerDependencies": {"react": ">=18"}}, indent=2)}
    facts = analyse(files)
    assert entries(facts, "npm_bin") == {"acme": ("bin/acme.js", "package.json", 5)}
    assert entries(facts, "npm_main") == {"@acme/cli": ("dist/index.js", "package.json", 3)}
    scripts = entries(facts, "npm_script")
    assert scripts == {"build": ("tsc -p .", "package.json", 8), "test": ("vitest", "package.json", 9)}
    assert deps(facts) == {("commander", "^12.0.0", "runtime"), ("typescript", "~5.4", "dev"),
                           ("react", ">=18", "runtime")}


def test_cargo_go_mod_and_main_functions():
    files = {
        "Cargo.toml": '[package]\nname = "x"\n\n[dependencies]\nserde = { version = "1.0", features = ["derive"] }\n'
                      'anyhow = "1"\nlocal = { path = "../local" }\n\n[dev-dependencies]\ninsta = "1.34"\n',
        "src/main.rs": "use anyhow::Result;\n\n/// Starts it.\nfn main() -> Result<()> {\n    Ok(())\n}\n",
        "go.mod": "module example.com/app\n\ngo 1.22\n\nrequire (\n\tgithub.com/spf13/cobra v1.8.0\n"
                  "\tgolang.org/x/sys v0.20.0 // indirect\n)\n\nrequire github.com/pkg/errors v0.9.1\n",
        "cmd/app/main.go": "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(1)\n}\n",
        "util/helper.go": "package util\n\nfunc main() {}\n",  # not package main: no entry point
    }
    facts = analyse(files)
    assert deps(facts) == {("serde", "1.0", "runtime"), ("anyhow", "1", "runtime"),
                           ("local", "path ../local", "runtime"), ("insta", "1.34", "dev"),
                           ("github.com/spf13/cobra", "v1.8.0", "runtime"),
                           ("github.com/pkg/errors", "v0.9.1", "runtime")}
    mains = sorted((e.path, e.line) for e in facts.entry_points if e.kind == "main_function")
    assert mains == [("cmd/app/main.go", 5), ("src/main.rs", 4)]


def test_makefile_targets_and_dockerfile_commands():
    files = {
        "Makefile": ".PHONY: build test\nCC := gcc\nVERSION = 1:2\n\nbuild: deps\n\tgo build ./...\n\n"
                    "test:\n\t# run all\n\tgo test ./...\n\n%.o: %.c\n\t$(CC) -c $<\n\n$(OUT): x\n\ttouch $@\n"
                    "define RECIPE\nfake: target\nendef\nprog: CFLAGS += -g\n",
        "docker/Dockerfile.prod": "FROM python:3.12\nENTRYPOINT [\"gunicorn\", \\\n  \"app:app\"]\n"
                                  "cmd [\"--workers\", \"2\"]\n",
    }
    facts = analyse(files)
    assert entries(facts, "make_target") == {"build": ("go build ./...", "Makefile", 5),
                                             "test": ("go test ./...", "Makefile", 8)}
    docker = [(e.name, e.target, e.line) for e in facts.entry_points if e.kind == "dockerfile"]
    assert docker == [("ENTRYPOINT", 'ENTRYPOINT ["gunicorn", "app:app"]', 2),
                      ("CMD", 'cmd ["--workers", "2"]', 4)]


# --- public API -------------------------------------------------------------------------

PY_MODULE = '''\
"""The app."""
__all__ = ["App", "create", "_exported_private"]


class App(Base, metaclass=Meta):
    """Central object.

    More text that is not the summary.
    """

    def __init__(self, name: str, *, debug: bool = False) -> None:
        pass

    @property
    def name(self) -> str:
        """The name."""
        return self._name

    async def serve(self, port: int = 8000):
        pass

    def __repr__(self):
        return "App"

    def _hidden(self):
        pass


@decorator(1)
def create(config: dict | None = None, **kw) -> "App":
    """Build an App."""
    return App()


def not_listed():
    pass


def _exported_private():
    pass


if __name__ == "__main__":
    def script_only():
        pass
'''


def test_python_api_signatures_docs_all_and_private_names():
    files = {"src/pkg/__init__.py": "", "src/pkg/app.py": PY_MODULE,
             "src/pkg/util.py": "def helper(x):\n    return x\n\n\ndef _private():\n    pass\n",
             "tests/test_app.py": "def test_create():\n    pass\n",
             "src/pkg/tests/helpers.py": "def make():\n    pass\n",
             "docs/conf.py": "def setup(app):\n    pass\n"}
    facts = analyse(files)
    items = api(facts)
    assert set(items) == {"App", "App.__init__", "App.name", "App.serve", "create",
                          "_exported_private", "helper"}
    app, create, serve = items["App"], items["create"], items["App.serve"]
    assert (app.module, app.kind, app.path) == ("pkg.app", "class", "src/pkg/app.py")
    assert app.signature == "class App(Base, metaclass=Meta)"
    assert app.doc == "Central object."
    assert (app.start_line, app.end_line) == (5, 26)
    assert create.signature == "def create(config: dict | None=None, **kw) -> 'App'"
    assert (create.start_line, create.end_line, create.doc) == (29, 32, "Build an App.")
    assert line(files, "src/pkg/app.py", create.start_line) == "@decorator(1)"
    assert serve.signature == "async def serve(self, port: int=8000)" and serve.kind == "method"
    assert items["App.name"].doc == "The name."
    assert items["helper"].module == "pkg.util"
    guards = entries(facts, "main_guard")
    assert guards == {"pkg.app": ("pkg.app", "src/pkg/app.py", 43)}


def test_javascript_and_typescript_api_through_tree_sitter():
    ts = ("import { x } from './x';\n\n/** Greets someone. */\nexport function greet(name: string): string {\n"
          "  return name;\n}\n\nfunction internal() {}\n\n// A service.\nexport class Service<T> extends Base {\n"
          "  /**\n   * Runs the job.\n   * @param opts options\n   */\n  public run(opts: {a: number}): void {}\n"
          "  private hide() {}\n  #secret() {}\n}\n")
    js = "function add(a, b) {\n  return a + b;\n}\nmodule.exports = { add };\n"
    go = ("package store\n\n// Client talks to the store.\ntype Client struct{}\n\n// Get reads a key.\n"
          "func (c *Client) Get(key string) (string, error) {\n\treturn \"\", nil\n}\n\nfunc local() {}\n")
    files = {"web/service.ts": ts, "web/x.ts": "export const x = 1;\n", "lib/math.js": js,
             "store/client.go": go, "web/service.test.ts": "export function testIt() {}\n"}
    facts = analyse(files)
    items = api(facts)
    assert set(items) == {"greet", "Service", "Service.run", "add", "Client", "Client.Get"}
    greet, service, run = items["greet"], items["Service"], items["Service.run"]
    assert greet.signature == "export function greet(name: string): string"
    assert (greet.doc, greet.start_line, greet.end_line) == ("Greets someone.", 3, 6)
    assert (service.signature, service.doc) == ("export class Service<T> extends Base", "A service.")
    assert (run.signature, run.doc, run.kind) == ("public run(opts: {a: number}): void", "Runs the job.",
                                                  "method")
    assert service.module == "web/service"
    get = items["Client.Get"]
    assert get.signature == "func (c *Client) Get(key string) (string, error)"
    assert (get.doc, get.kind) == ("Get reads a key.", "method")


# --- README -----------------------------------------------------------------------------

README = """\
<p align="center"><img src="logo.png"></p>

[![CI](https://ci/badge.svg)](https://ci) [![PyPI](https://pypi/badge.svg)](https://pypi)

# Widget Factory

[Docs](https://docs) | [Chat](https://chat)

Widget Factory builds **widgets** from [plain specs](https://specs). It is fast.

It runs anywhere Python runs.

## Install

```
# not a heading
pip install widget-factory
```

More prose after the first section is not summary.

## Usage
"""


def test_readme_digest_skips_badges_and_stops_at_the_first_section():
    files = {"README.md": README, "docs/README.md": "# Docs readme\n", "a.py": ""}
    digest = analyse(files).readme
    assert digest.path == "README.md"
    assert digest.title == "Widget Factory"
    assert digest.summary == ("Widget Factory builds widgets from plain specs. It is fast.\n\n"
                              "It runs anywhere Python runs.")
    assert digest.headings == ["Install", "Usage"]


def test_readme_summary_is_cut_at_a_sentence_end_and_rst_titles_are_read():
    long = " ".join(f"Sentence number {i} says something." for i in range(60))
    rst = f"==========\nMy Project\n==========\n\n.. image:: badge.svg\n   :target: x\n\n{long}\n\nUsage\n=====\n"
    digest = analyse({"readme.rst": rst}).readme
    assert digest.title == "My Project"
    assert len(digest.summary) <= 800 and digest.summary.endswith("says something.")
    assert long.startswith(digest.summary) and len(digest.summary) > 700
    assert digest.headings == ["Usage"]
    assert analyse({"a.py": "x = 1\n"}).readme is None


# --- module units and imports -------------------------------------------------------------

def lines_of(n: int, text: str = "x = 1\n") -> str:
    return text * n


def test_module_units_unwrap_src_split_a_dominant_package_and_keep_root_files():
    files = {"src/flask/__init__.py": lines_of(5), "src/flask/app.py": lines_of(300),
             "src/flask/json/__init__.py": lines_of(100), "src/flask/json/provider.py": lines_of(50),
             "src/flask/cli.py": lines_of(80), "tests/test_app.py": lines_of(60),
             "setup.py": lines_of(3), "README.md": "# F\n", "docs/index.md": "hi\n"}
    facts = analyse(files)
    units = {u.key: (u.name, u.files, u.lines) for u in facts.modules}
    assert units == {
        "": ("(root)", ["setup.py"], 3),
        "src/flask/__init__.py": ("flask/__init__.py", ["src/flask/__init__.py"], 5),
        "src/flask/app.py": ("flask/app.py", ["src/flask/app.py"], 300),
        "src/flask/cli.py": ("flask/cli.py", ["src/flask/cli.py"], 80),
        "src/flask/json": ("flask/json", ["src/flask/json/__init__.py", "src/flask/json/provider.py"], 150),
        "tests": ("tests", ["tests/test_app.py"], 60)}
    assert [u.key for u in facts.modules] == sorted(units)
    assert facts.module_of("src/flask/json/provider.py").key == "src/flask/json"
    assert facts.module_of("README.md").key == ""
    assert facts.module_of("docs/index.md") is None


def test_without_a_dominant_unit_nothing_is_split_and_many_units_fold_into_other():
    files = {f"d{i:02}/m.py": lines_of(10 + i) for i in range(25)}
    facts = analyse(files)
    keys = [u.key for u in facts.modules]
    assert len(keys) == 20 and "(other)" in keys
    other = next(u for u in facts.modules if u.key == "(other)")
    assert other.folded == [f"d{i:02}" for i in range(6)]  # the six smallest
    assert other.lines == sum(10 + i for i in range(6))
    assert facts.module_of("d03/m.py").key == "(other)"


def test_import_graph_absolute_relative_javascript_and_external():
    files = {
        "src/shop/__init__.py": "", "src/shop/cart.py": "import os\nfrom shop.payment import pay\n",
        "src/shop/payment/__init__.py": "from . import gateway\nfrom ..cart import Cart\n",
        "src/shop/payment/gateway.py": "import requests\nimport shop.cart\n",
        "src/shop/orders/__init__.py": "from shop.payment.gateway import send\nfrom .. import cart\n",
        "web/app.ts": "import { a } from './util';\nimport React from 'react';\nconst b = require('../lib');\n",
        "web/util.ts": "export const a = 1;\n", "lib/index.js": "module.exports = {};\n",
        "lib/other.js": "import x from '../web/app.js';\n",
    }
    facts = analyse(files)
    units = [u.key for u in facts.modules]
    assert units == ["lib", "src/shop", "web"]
    assert facts.imports.nodes == units
    assert facts.imports.edges == {("web", "lib"): 1, ("lib", "web"): 1}
    # the same files once shop is big enough to be split into subpackages
    files["src/shop/cart.py"] += lines_of(200)
    facts = analyse(files)
    assert facts.imports.edges == {
        ("src/shop/cart.py", "src/shop/payment"): 1, ("src/shop/payment", "src/shop/cart.py"): 2,
        ("src/shop/orders", "src/shop/payment"): 1, ("src/shop/orders", "src/shop/cart.py"): 1,
        ("web", "lib"): 1, ("lib", "web"): 1}


def test_a_file_that_does_not_parse_is_listed_and_the_rest_is_analysed():
    files = {"pkg/bad.py": "def broken(:\n    pass\n", "pkg/good.py": "def fine():\n    pass\n",
             "pkg/nul.py": "x = 1\0\n", "web/bad.ts": "export function ok() {}\nclass {{{\n"}
    facts = analyse(files)
    assert facts.unparsed == ["pkg/bad.py", "pkg/nul.py"]
    assert facts.partially_parsed == ["web/bad.ts"]
    assert set(api(facts)) == {"fine", "ok"}
    assert json.loads(json.dumps(facts.to_json()))["unparsed"] == ["pkg/bad.py", "pkg/nul.py"]


def test_progress_is_reported_and_cancellation_is_honoured():
    files = {f"m{i}.py": "x = 1\n" for i in range(120)}
    recorder = Recorder()
    analyse(files, recorder)
    assert recorder.updates == [("analyse", 0, 120), ("analyse", 50, 120), ("analyse", 100, 120),
                                ("analyse", 120, 120)]
    assert recorder.checks == 3
    with pytest.raises(JobCancelled):
        analyse(files, Recorder(cancel_after=1))


# --- Mermaid ------------------------------------------------------------------------------

def unit(key: str, name: str, lines: int = 10) -> ModuleUnit:
    return ModuleUnit(key, name, [key], lines, {"python": lines})


def test_the_mermaid_checker_rejects_a_broken_diagram_and_accepts_a_good_one():
    errors = mermaid_errors(["flowchart LR\n a -->", "flowchart LR\n  a --> b\n",
                             'flowchart LR\n  n0["a"b"]\n', "flowchart LR\n  a[x --> b\n"])
    assert errors[0] and errors[2] and errors[3]
    assert errors[1] is None


def test_mermaid_of_import_graphs_parses():
    weird = [unit("a", 'quote "x" and <tag> & #hash'), unit("b", "brackets [x] (y) {z} |p|"),
             unit("c", "ünïcødé ✓ 日本"), unit("d", "semi;colon `tick` back\\slash"),
             unit("e", "end"), unit("f", "-->")]
    graph = ImportGraph([u.key for u in weird], {("a", "b"): 2, ("b", "c"): 1, ("c", "a"): 1,
                                                 ("d", "e"): 1, ("e", "f"): 1, ("a", "a"): 3})
    many = [unit(f"k{i:02}", f"unit {i}", lines=i) for i in range(40)]
    hub_edges = {(f"k{i:02}", "k00"): 1 for i in range(1, 40, 2)}
    hub_edges[("k01", "k03")] = 1
    diagrams = {
        "weird": import_graph_mermaid(graph, weird),
        "no edges": import_graph_mermaid(ImportGraph(["a", "b"], {}), weird[:2]),
        "nothing": import_graph_mermaid(ImportGraph([], {}), []),
        "many": import_graph_mermaid(ImportGraph([u.key for u in many], hub_edges), many, max_nodes=12),
    }
    assert mermaid_errors(list(diagrams.values())) == [None] * len(diagrams)
    weird_text = diagrams["weird"]
    assert weird_text.startswith("flowchart LR\n")
    assert "#quot;x#quot;" in weird_text and "#lt;tag#gt;" in weird_text
    assert "ünïcødé ✓ 日本" in weird_text
    assert '["--#gt;"]' in weird_text  # a label that reads like an arrow stays a label
    edges = [ln.strip() for ln in weird_text.split("\n") if "-->" in ln]
    assert edges == ["n0 --> n1", "n1 --> n2", "n2 --> n0", "n3 --> n4", "n4 --> n5"]  # no self-edge
    assert "-->" not in diagrams["no edges"]
    assert "no internal imports" in diagrams["nothing"]
    node_lines = [ln for ln in diagrams["many"].split("\n") if '["' in ln]
    assert len(node_lines) == 12
    assert '["unit 0"]' in diagrams["many"] and '["unit 1"]' in diagrams["many"]  # the hub, most connected
    assert '["unit 2"]' not in diagrams["many"]  # no edges at all


# --- a real repository: this project --------------------------------------------------------

def test_analyse_this_project():
    files = {"pyproject.toml": (ROOT / "pyproject.toml").read_text(encoding="utf-8"),
             "README.md": (ROOT / "README.md").read_text(encoding="utf-8")}
    for path in sorted((ROOT / "repowiki_gui").rglob("*.py")):
        files[path.relative_to(ROOT).as_posix()] = path.read_text(encoding="utf-8")
    facts = analyse(files)
    assert entries(facts, "console_script")["repowiki"][:2] == ("repowiki_gui.cli:main", "pyproject.toml")
    names = {d.name for d in facts.dependencies if d.group == "runtime"}
    assert {"lancedb", "rq", "tree-sitter-language-pack"} <= names
    assert facts.unparsed == []
    assert facts.readme is not None and facts.readme.title == "RepoWiki"
    by_name = api(facts)
    assert by_name["analyse"].module == "repowiki_gui.core.analysis"
    assert by_name["RepoFacts.module_of"].kind == "method"
    assert "repowiki_gui/core" in {u.key for u in facts.modules}
    assert facts.imports.edges[("repowiki_gui/jobs", "repowiki_gui/core")] > 0
    for item in facts.api:
        assert item.path in files
        text = "\n".join(files[item.path].split("\n")[item.start_line - 1:item.end_line])
        assert item.name.rsplit(".", 1)[-1] in text, item
    for entry in facts.entry_points:
        assert entry.name.split("/")[-1] in line(files, entry.path, entry.line) or entry.line == 1, entry
    for unit_ in facts.modules:
        assert all(path in files for path in unit_.files)
    assert mermaid_errors([import_graph_mermaid(facts.imports, facts.modules)]) == [None]
    json.dumps(facts.to_json())


def test_language_visibility_rules_rust_java_csharp_c():
    files = {
        "src/lib.rs": "/// A point.\npub struct Point { x: i32 }\n\nstruct Hidden;\n\nimpl Point {\n"
                      "    /// Makes one.\n    pub fn new() -> Self { Point { x: 0 } }\n    fn private(&self) {}\n}\n",
        "java/App.java": "package a;\n/** The app. */\npublic class App {\n    public static void main(String[] a) {}\n"
                         "    void hidden() {}\n}\n",
        "cs/Program.cs": "namespace N {\n  /// <summary>Entry.</summary>\n  public class Program {\n"
                         "    static void Main(string[] args) {}\n    private void No() {}\n  }\n}\n",
        "c/main.c": "#define API\nAPI int add(int a, int b) { return a + b; }\nstatic int helper(void) { return 1; }\n",
    }
    facts = analyse(files)
    items = api(facts)
    assert set(items) == {"Point", "Point.new", "App", "App.main", "Program", "add"}
    assert (items["Point.new"].signature, items["Point.new"].doc) == ("pub fn new() -> Self", "Makes one.")
    assert items["Program"].doc == "Entry."
    assert items["add"].signature == "API int add(int a, int b)"
    mains = {(e.name, e.path, e.line) for e in facts.entry_points if e.kind == "main_function"}
    assert mains == {("App.main", "java/App.java", 4), ("Program.Main", "cs/Program.cs", 4)}
    assert facts.partially_parsed == ["c/main.c"]  # the macro; its definitions are still read
