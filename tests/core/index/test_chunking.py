"""Chunking: definitions per language, headings, windows, merging, and the token budget.

Every test that produces chunks also checks the invariants (``assert_valid``):
each embed text within budget, exact line ranges, every non-blank line covered,
header first, hash of the embed text, same output on a second run.
"""
from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from repowiki_gui.core.index.chunking import Chunk, chunk_file


def words(s: str) -> int:
    """A deterministic stand-in for the model's tokenizer: [CLS] + words + [SEP]."""
    return 2 + len(s.split())


def chars(s: str) -> int:
    """A tokenizer that never lets a long line through as one token."""
    return 2 + (len(s) + 3) // 4


TOKENIZER_JSON = (Path(__file__).resolve().parents[3] / "resources" / "models"
                  / "all-MiniLM-L6-v2" / "tokenizer.json")


def chunks_of(path, language, text, count=words, max_tokens=256) -> list[Chunk]:
    chunks = chunk_file(path, language, text, count, max_tokens)
    assert_valid(chunks, path, language, text, count, max_tokens)
    return chunks


def assert_valid(chunks, path, language, text, count, max_tokens):
    lines = text.split("\n")
    covered = set()
    previous_start = 0
    for c in chunks:
        assert count(c.embed_text) <= max_tokens, (c.symbol, count(c.embed_text))
        header, body = c.embed_text.split("\n", 1)
        assert body == c.text
        full = f"{path} · {c.symbol}" if c.symbol else path
        note = header[header.rindex(" ("):]  # " (kind)", or " (text, part 2)" for a slice
        assert note.startswith(f" ({c.kind}")
        if header != full + note:
            # shortened only where the full header would take over half the budget
            assert count(full + note + "\n") > max_tokens // 2, header
        assert c.content_hash == hashlib.sha256(c.embed_text.encode()).hexdigest()
        assert 1 <= c.start_line <= c.end_line <= len(lines)
        assert c.start_line >= previous_start
        previous_start = c.start_line
        exact = "\n".join(lines[c.start_line - 1:c.end_line])
        if c.text != exact:  # only a slice of one over-long line may differ
            assert c.start_line == c.end_line and c.text in lines[c.start_line - 1], c.symbol
        assert c.text.strip()
        covered.update(range(c.start_line, c.end_line + 1))
    keys = [(c.start_line, c.end_line, c.content_hash) for c in chunks]
    assert len(set(keys)) == len(keys), "two chunks the store could not tell apart"
    missing = [n for n, line in enumerate(lines, 1) if line.strip() and n not in covered]
    assert not missing, f"lines not in any chunk: {missing[:20]}"
    assert chunk_file(path, language, text, count, max_tokens) == chunks  # deterministic


def shape(chunks):
    return [(c.kind, c.symbol, c.start_line, c.end_line) for c in chunks]


# -- one sample per language: a class with two methods, and a free function -------

PYTHON = '''\
"""Greeting utilities."""
import sys


# A greeter remembers a name.
@dataclass
class Greeter:
    name: str

    def hello(self) -> str:
        """Say hello to the name."""
        text = f"Hello, {self.name}"
        return text

    @property
    def shout(self) -> str:
        loud = self.hello().upper()
        return loud + "!"


def main() -> None:
    print(Greeter("world").hello())
    sys.exit(0)
'''

JS = '''\
import { format } from "./format.js";

/**
 * Greets people by name.
 */
export class Greeter {
  constructor(name) {
    this.name = name;
    this.count = 0;
  }

  hello() {
    this.count += 1;
    return format("Hello, %s", this.name);
  }
}

export const main = () => {
  const greeter = new Greeter("world");
  console.log(greeter.hello());
};
'''

TS = '''\
import { format } from "./format";

/** Greets people by name. */
@Injectable()
export class Greeter {
  private count = 0;

  constructor(private readonly name: string) {
    this.count = 0;
  }

  hello(): string {
    this.count += 1;
    return format("Hello, %s", this.name);
  }
}

export function main(): void {
  const greeter = new Greeter("world");
  console.log(greeter.hello());
}
'''

TSX = '''\
import React from "react";

// Shows a greeting.
export class Greeting extends React.Component<Props> {
  handleClick = () => {
    this.setState({ clicked: true });
    console.log("clicked");
  };

  render() {
    const name = this.props.name;
    return <h1 onClick={this.handleClick}>Hello, {name}</h1>;
  }
}

export function App(): JSX.Element {
  const name = "world";
  return <Greeting name={name} />;
}
'''

JAVA = '''\
package com.example.greet;

import java.util.Objects;

/**
 * Greets people by name.
 */
public class Greeter {
    private final String name;

    public Greeter(String name) {
        Objects.requireNonNull(name);
        this.name = name;
    }

    // Says hello.
    public String hello() {
        String text = "Hello, " + name;
        return text;
    }
}

class Main {
    public static void main(String[] args) {
        System.out.println(new Greeter("world").hello());
    }
}
'''

GO = '''\
package greet

import "fmt"

// Greeter greets people by name.
type Greeter struct {
	Name  string
	count int
}

// Hello says hello.
func (g *Greeter) Hello() string {
	g.count++
	return fmt.Sprintf("Hello, %s", g.Name)
}

func (g Greeter) Count() int {
	total := g.count
	return total
}

func Main() {
	g := &Greeter{Name: "world"}
	fmt.Println(g.Hello())
}
'''

RUST = '''\
use std::fmt;

/// Greets people by name.
#[derive(Debug)]
pub struct Greeter {
    name: String,
}

impl Greeter {
    /// Makes a greeter.
    pub fn new(name: &str) -> Self {
        let name = name.to_string();
        Greeter { name }
    }

    pub fn hello(&self) -> String {
        let text = format!("Hello, {}", self.name);
        text
    }
}

fn main() {
    let greeter = Greeter::new("world");
    println!("{}", greeter.hello());
}
'''

C = '''\
#include <stdio.h>
#include <stdlib.h>

/* A greeter remembers a name. */
typedef struct {
    const char *name;
    int count;
} Greeter;

static void greeter_init(Greeter *g, const char *name) {
    g->name = name;
    g->count = 0;
}

/* Says hello. */
static const char *greeter_hello(Greeter *g) {
    g->count++;
    printf("Hello, %s\\n", g->name);
    return g->name;
}

int main(void) {
    Greeter g;
    greeter_init(&g, "world");
    greeter_hello(&g);
    return 0;
}
'''

CPP = '''\
#include <iostream>
#include <string>

namespace greet {

// Greets people by name.
class Greeter {
public:
    explicit Greeter(std::string name) : name_(std::move(name)) {
        count_ = 0;
    }

    std::string hello() {
        ++count_;
        return "Hello, " + name_;
    }

private:
    std::string name_;
    int count_;
};

}  // namespace greet

int main() {
    greet::Greeter g("world");
    std::cout << g.hello() << std::endl;
    return 0;
}
'''

CSHARP = '''\
using System;

namespace Demo.Greet
{
    /// <summary>Greets people by name.</summary>
    public class Greeter
    {
        private readonly string _name;

        public Greeter(string name)
        {
            _name = name;
        }

        public string Hello()
        {
            var text = $"Hello, {_name}";
            return text;
        }
    }

    public static class Program
    {
        public static void Main(string[] args)
        {
            Console.WriteLine(new Greeter("world").Hello());
        }
    }
}
'''

RUBY = '''\
require "json"

# Greets people by name.
class Greeter
  attr_reader :name

  def initialize(name)
    @name = name
    @count = 0
  end

  def hello
    @count += 1
    "Hello, #{@name}"
  end
end

def main
  greeter = Greeter.new("world")
  puts greeter.hello
end
'''

PHP = '''\
<?php

namespace App\\Greet;

/**
 * Greets people by name.
 */
class Greeter
{
    private string $name;

    public function __construct(string $name)
    {
        $this->name = $name;
    }

    public function hello(): string
    {
        $text = "Hello, " . $this->name;
        return $text;
    }
}

function main(): void
{
    echo (new Greeter("world"))->hello();
}
'''


# (language, source, chunks at the default budget, chunks at 30 tokens: the class split)
LANGUAGES = [
    ("python", PYTHON,
     [("module", "", 1, 2), ("class", "Greeter", 5, 18), ("function", "main", 21, 23)],
     [("module", "", 1, 2), ("class", "Greeter", 5, 8), ("method", "Greeter.hello", 10, 13),
      ("method", "Greeter.shout", 15, 18), ("function", "main", 21, 23)]),
    ("javascript", JS,
     [("module", "", 1, 1), ("class", "Greeter", 3, 16), ("function", "main", 18, 21)],
     [("module", "", 1, 1), ("class", "Greeter", 3, 6), ("method", "Greeter.constructor", 7, 10),
      ("method", "Greeter.hello", 12, 16), ("function", "main", 18, 21)]),
    ("typescript", TS,
     [("module", "", 1, 1), ("class", "Greeter", 3, 16), ("function", "main", 18, 21)],
     [("module", "", 1, 1), ("class", "Greeter", 3, 6), ("method", "Greeter.constructor", 8, 10),
      ("method", "Greeter.hello", 12, 16), ("function", "main", 18, 21)]),
    ("tsx", TSX,
     [("module", "", 1, 1), ("class", "Greeting", 3, 14), ("function", "App", 16, 19)],
     [("module", "", 1, 1), ("class", "Greeting", 3, 4), ("method", "Greeting.handleClick", 5, 8),
      ("method", "Greeting.render", 10, 14), ("function", "App", 16, 19)]),
    # Java has no free functions: the second class is small too, so the two merge.
    ("java", JAVA,
     [("module", "", 1, 3), ("class", "Greeter, Main", 5, 27)],
     [("module", "", 1, 3), ("class", "Greeter", 5, 9), ("method", "Greeter.Greeter", 11, 14),
      ("method", "Greeter.hello", 16, 21), ("class", "Main", 23, 27)]),
    # Go methods sit outside the struct: "Receiver.Method", small ones merged.
    ("go", GO,
     [("module", "", 1, 3), ("class", "Greeter", 5, 9),
      ("method", "Greeter.Hello, Greeter.Count", 11, 20), ("function", "Main", 22, 25)],
     [("module", "", 1, 3), ("class", "Greeter", 5, 9), ("method", "Greeter.Hello", 11, 15),
      ("method", "Greeter.Count", 17, 20), ("function", "Main", 22, 25)]),
    # The struct and its impl block are two class chunks; impl methods are "Type.method".
    ("rust", RUST,
     [("module", "", 1, 1), ("class", "Greeter", 3, 20), ("function", "main", 22, 25)],
     [("module", "", 1, 1), ("class", "Greeter", 3, 7), ("class", "Greeter", 9, 9),
      ("method", "Greeter.new", 10, 14), ("method", "Greeter.hello", 16, 20),
      ("function", "main", 22, 25)]),
    # C: the typedef'd struct is the class; its functions are free functions.
    ("c", C,
     [("module", "", 1, 2), ("class", "Greeter", 4, 8),
      ("function", "greeter_init, greeter_hello, main", 10, 27)],
     [("module", "", 1, 2), ("class", "Greeter", 4, 8), ("function", "greeter_init", 10, 13),
      ("function", "greeter_hello", 15, 20), ("function", "main", 22, 27)]),
    # The namespace is not a chunk of its own; its closing brace joins the chunk above.
    ("cpp", CPP,
     [("module", "", 1, 4), ("class", "Greeter", 6, 23), ("function", "main", 25, 29)],
     [("module", "", 1, 4), ("class", "Greeter", 6, 8), ("method", "Greeter.Greeter", 9, 11),
      ("method", "Greeter.hello", 13, 16), ("class", "Greeter", 18, 23),
      ("function", "main", 25, 29)]),
    ("csharp", CSHARP,
     [("module", "", 1, 4), ("class", "Greeter, Program", 5, 29)],
     [("module", "", 1, 4), ("class", "Greeter", 5, 8), ("method", "Greeter.Greeter", 10, 13),
      ("method", "Greeter.Hello", 15, 20), ("class", "Program", 22, 29)]),
    ("ruby", RUBY,
     [("module", "", 1, 1), ("class", "Greeter", 3, 16), ("function", "main", 18, 21)],
     [("module", "", 1, 1), ("class", "Greeter", 3, 5), ("method", "Greeter.initialize", 7, 10),
      ("method", "Greeter.hello", 12, 16), ("function", "main", 18, 21)]),
    ("php", PHP,
     [("module", "", 1, 3), ("class", "Greeter", 5, 22), ("function", "main", 24, 27)],
     [("module", "", 1, 3), ("class", "Greeter", 5, 10), ("method", "Greeter.__construct", 12, 15),
      ("method", "Greeter.hello", 17, 22), ("function", "main", 24, 27)]),
]
SOURCES = {language: source for language, source, _, _ in LANGUAGES}


@pytest.mark.parametrize("language, source, expected, _", LANGUAGES, ids=[x[0] for x in LANGUAGES])
def test_each_language_chunks_by_definition(language, source, expected, _):
    assert shape(chunks_of(f"src/greeter.{language}", language, source)) == expected


@pytest.mark.parametrize("language, source, _, expected", LANGUAGES, ids=[x[0] for x in LANGUAGES])
def test_a_class_over_budget_splits_into_header_and_methods(language, source, _, expected):
    assert shape(chunks_of(f"src/greeter.{language}", language, source, max_tokens=30)) == expected


def test_chunk_text_header_and_hash():
    chunks = chunks_of("src/pkg/greet.py", "python", PYTHON, max_tokens=30)
    hello = next(c for c in chunks if c.symbol == "Greeter.hello")
    assert hello.language == "python"
    assert hello.embed_text.startswith("src/pkg/greet.py · Greeter.hello (method)\n")
    assert hello.text == "\n".join(PYTHON.split("\n")[9:13])
    again = chunk_file("src/pkg/greet.py", "python", PYTHON, words, 30)
    assert [c.content_hash for c in again] == [c.content_hash for c in chunks]
    moved = chunk_file("src/other/greet.py", "python", PYTHON, words, 30)
    assert {c.content_hash for c in moved}.isdisjoint(c.content_hash for c in chunks)
    decorated = next(c for c in chunks if c.symbol == "Greeter.shout")
    assert decorated.text.lstrip().startswith("@property")


def test_symbol_conventions_across_languages():
    cpp = "class A {\n  void f();\n};\n\nvoid A::f() {\n  g();\n}\n\n" \
          "template <typename T>\nT twice(T x) {\n  return x * 2;\n}\n"
    assert shape(chunks_of("a.cpp", "cpp", cpp, max_tokens=20)) == [
        ("class", "A", 1, 3), ("method", "A.f", 5, 7), ("function", "twice", 9, 12)]
    js = ("export default function () {\n  return 1;\n}\n\n"
          "exports.load = function (path) {\n  return read(path);\n};\n\n"
          "const Store = class {\n  get(key) {\n    return this.map[key];\n  }\n};\n")
    assert shape(chunks_of("a.js", "javascript", js, max_tokens=16)) == [
        ("function", "default", 1, 3), ("function", "exports.load", 5, 7), ("class", "Store", 9, 9),
        ("method", "Store.get", 10, 13)]
    go = ("package p\n\ntype Box[T any] struct {\n\tv T\n}\n\n"
          "func (b *Box[T]) Get() T {\n\treturn b.v\n}\n")
    assert [c.symbol for c in chunks_of("a.go", "go", go, max_tokens=18)] == ["", "Box", "Box.Get"]
    rust = "impl<T: Clone> Display for Wrapper<T> {\n    fn fmt(&self) -> String {\n" \
           "        self.0.to_string()\n    }\n}\n"
    assert shape(chunks_of("a.rs", "rust", rust, max_tokens=16)) == [
        ("class", "Wrapper", 1, 1), ("method", "Wrapper.fmt", 2, 5)]
    c = "static int *\nfind(int *xs, int n) {\n  return xs + n;\n}\n"
    assert shape(chunks_of("a.c", "c", c)) == [("function", "find", 1, 4)]
    ruby = "module Util\n  def self.slug(s)\n    s.downcase\n  end\nend\n"
    assert shape(chunks_of("a.rb", "ruby", ruby)) == [("class", "Util", 1, 5)]
    assert shape(chunks_of("a.rb", "ruby", ruby, max_tokens=12)) == [
        ("class", "Util", 1, 1), ("method", "Util.slug", 2, 5)]


def test_language_names_are_forgiving():
    upper = chunks_of("src/greeter.cs", "C#", CSHARP)
    assert shape(upper) == shape(chunks_of("src/greeter.cs", "csharp", CSHARP))
    assert upper[0].language == "C#"  # the caller's name is kept


# -- splitting within budget ---------------------------------------------------------


def big_class(methods: int = 6, body_lines: int = 4) -> str:
    out = ['"""A module."""', "", "", "class Big:", '    """A class too big for one chunk."""',
           "    LIMIT = 10", ""]
    for m in range(methods):
        out.append(f"    def m{m}(self, value):")
        out += [f"        value = value + {n} * self.LIMIT  # step {n} of m{m}"
                for n in range(body_lines)]
        out += ["        return value", ""]
    out += ["", "def after():", "    return Big().m0(1)", ""]
    return "\n".join(out)


def test_large_class_splits_into_methods():
    text = big_class()
    chunks = chunks_of("big.py", "python", text, max_tokens=64)
    assert shape(chunks)[:2] == [("module", "", 1, 1), ("class", "Big", 4, 6)]
    methods = chunks[2:-1]
    assert [c.symbol for c in methods] == [f"Big.m{m}" for m in range(6)]
    assert all(c.kind == "method" and c.end_line - c.start_line == 5 for c in methods)
    assert methods[0].start_line == 8
    assert shape(chunks)[-1] == ("function", "after", 51, 52)


def test_large_method_and_function_split_into_parts_within_budget():
    text = big_class(methods=2, body_lines=60) + "\n" + "\n".join(
        ["def huge(x):"]
        + [f"    x = transform(x, {n}, 'some extra words here')" for n in range(120)]
        + ["    return x", ""])
    chunks = chunks_of("big.py", "python", text, max_tokens=64)
    parts = [c for c in chunks if c.symbol.startswith("huge (part ")]
    assert [c.symbol for c in parts] == [f"huge (part {n})" for n in range(1, len(parts) + 1)]
    assert len(parts) >= 10 and all(c.kind == "function" for c in parts)
    assert parts[0].start_line == text.split("\n").index("def huge(x):") + 1
    assert all(b.start_line == a.end_line + 1 for a, b in zip(parts, parts[1:]))  # code: no overlap
    assert parts[-1].text.endswith("    return x")
    method_parts = [c for c in chunks if c.symbol.startswith("Big.m1 (part ")]
    assert len(method_parts) >= 4 and all(c.kind == "method" for c in method_parts)
    assert all(words(c.embed_text) >= 64 * 0.6 for c in parts[:-1])  # windows are well filled


def test_tiny_neighbours_merge_within_budget_and_kind():
    text = "\n".join(f"def f{n}():\n    return {n}\n" for n in range(5)) + "\nclass C:\n    x = 1\n"
    chunks = chunks_of("tiny.py", "python", text)
    assert shape(chunks) == [("function", "f0, f1, f2, f3, f4", 1, 14), ("class", "C", 16, 17)]
    assert chunks[0].embed_text.startswith("tiny.py · f0, f1, f2, f3, f4 (function)\n")
    many = "\n".join(f"def function_number_{n}(a, b):\n    return a + b + {n}\n" for n in range(60))
    merged = chunks_of("many.py", "python", many, max_tokens=64)
    assert 1 < len(merged) < 60
    assert all(c.kind == "function" for c in merged)
    assert all(c.symbol.startswith("function_number_") for c in merged)
    assert any(c.symbol.endswith(" …") for c in merged)  # a long list of names is cut short


def test_a_huge_line_is_sliced_by_characters_quickly():
    line = "".join(f"v{n}=f({n},'x');" for n in range(20_000))
    assert len(line) > 200_000
    calls, counted = [0], [0]

    def counting(s):
        calls[0] += 1
        counted[0] += len(s)
        return chars(s)

    for language in (None, "javascript"):
        calls[0] = counted[0] = 0
        started = time.monotonic()
        chunks = chunk_file("dist/app.min.js", language, line, counting, 256)
        assert time.monotonic() - started < 10
        assert len(chunks) > 100
        assert all((c.start_line, c.end_line) == (1, 1) for c in chunks)
        assert "".join(c.text for c in chunks) == line
        assert all(chars(c.embed_text) <= 256 for c in chunks)
        assert calls[0] < 4 * len(chunks) + 20 and counted[0] < 5 * len(line)  # not quadratic
        assert_valid(chunks, "dist/app.min.js", language, line, chars, 256)


@pytest.mark.parametrize("language", [None, "javascript", "markdown"])
def test_equal_slices_of_a_repetitive_line_stay_distinct(language):
    chunks = chunks_of("data/zeros.csv", language, "0," * 100_000, chars, 64)
    assert len({c.text for c in chunks}) < len(chunks)  # the slices repeat...
    assert len({c.content_hash for c in chunks}) == len(chunks)  # ...their chunks do not
    assert chunks[1].embed_text.startswith("data/zeros.csv (")


def test_a_huge_line_inside_code_keeps_the_other_lines_exact():
    text = "import os\n\nDATA = '" + "ab cd " * 40_000 + "'\n\n\ndef use():\n    return DATA\n"
    chunks = chunks_of("data.py", "python", text, max_tokens=128)
    assert shape(chunks)[-1] == ("function", "use", 6, 7)
    assert {(c.start_line, c.end_line) for c in chunks[1:-1]} == {(3, 3)}
    assert chunks[0].start_line == 1


# -- documents and plain text ---------------------------------------------------------

MARKDOWN = """\
---
title: Demo
---
An introduction to the demo project that says what it is for and who should use it.

# Install

Install the package with the usual tool for your platform, then check the version it
prints. Older versions are not supported and may fail in surprising ways at start up.

## From source

```sh
# this is a comment in a shell block, not a heading
make install PREFIX=/usr/local
```
Building from source needs a compiler and the headers of the libraries listed above.

Usage
=====

Run the command with a file name and it prints a summary of that file to standard output,
one line per section, with the number of words and the number of links in each section.

Options ##
----------

The options change the format of the summary: plain text by default, or JSON with a flag,
or a table when the output is a terminal and the terminal is wide enough for it.
"""


def test_markdown_sections_carry_heading_paths():
    chunks = chunks_of("docs/README.md", "markdown", MARKDOWN, max_tokens=64)
    assert shape(chunks) == [
        ("section", "", 1, 4),
        ("section", "Install", 6, 9),
        ("section", "Install > From source", 11, 17),
        ("section", "Usage", 19, 23),
        ("section", "Usage > Options ##", 25, 29),
    ]
    assert chunks[1].embed_text.startswith("docs/README.md · Install (section)\n# Install\n")


def test_tiny_sections_merge_and_long_ones_split():
    tiny = "# A\n\none\n\n## B\n\ntwo\n\n## C\n\nthree\n"
    assert shape(chunks_of("t.md", "md", tiny)) == [("section", "A, A > B, A > C", 1, 11)]
    long = "# Guide\n\n" + "\n".join(f"Sentence {n} of the guide has several words in it."
                                      for n in range(80))
    chunks = chunks_of("g.md", "markdown", long, max_tokens=64)
    assert [c.symbol for c in chunks] == [f"Guide (part {n})" for n in range(1, len(chunks) + 1)]
    assert len(chunks) > 5


RST = """\
=======
 Title
=======

Intro text of the document, long enough that it is not merged with anything else nearby.

Install
-------

How to install the package, with enough words that the section stands on its own.

From source
~~~~~~~~~~~

How to build the package from a checkout, which needs a compiler and some patience.

Usage
-----

How to run the program once it is installed, and what it prints when it succeeds.
"""


def test_rst_titles_carry_heading_paths():
    chunks = chunks_of("docs/index.rst", "rst", RST, max_tokens=40)
    assert shape(chunks) == [
        ("section", "Title", 1, 5),
        ("section", "Title > Install", 7, 10),
        ("section", "Title > Install > From source", 12, 15),
        ("section", "Title > Usage", 17, 20),
    ]


def test_plain_text_windows_overlap():
    text = "\n".join(f"line {n} alpha beta gamma delta" for n in range(1, 101)) + "\n"
    chunks = chunks_of("notes.txt", None, text, max_tokens=40)
    assert len(chunks) > 5
    assert all(c.kind == "text" and c.symbol == "" for c in chunks)
    assert chunks[0].embed_text.startswith("notes.txt (text)\nline 1 alpha")
    for a, b in zip(chunks, chunks[1:]):
        assert a.start_line < b.start_line <= a.end_line  # overlapping, always advancing
        assert a.end_line - b.start_line + 1 <= 3
    assert chunks[-1].end_line == 100


def test_unknown_languages_and_broken_code_fall_back_to_windows_or_modules():
    assert {c.kind for c in chunks_of("a.yaml", "yaml", "a: 1\nb: [2, 3]\n")} == {"text"}
    broken = "def ok():\n    return 1\n\ndef broken(:\n    pass\n\nclass Fine:\n    x = 1\n"
    chunks = chunks_of("broken.py", "python", broken)
    assert "ok" in chunks[0].symbol


def test_empty_and_blank_files_have_no_chunks():
    assert chunk_file("empty.py", "python", "", words) == []
    assert chunk_file("blank.md", "markdown", " \n\n\t\n", words) == []


def test_crlf_line_endings_keep_exact_lines():
    text = PYTHON.replace("\n", "\r\n")
    chunks = chunks_of("crlf.py", "python", text, max_tokens=30)
    assert [c.symbol for c in chunks] == ["", "Greeter", "Greeter.hello", "Greeter.shout", "main"]


def test_a_budget_too_small_for_any_text_is_an_error():
    with pytest.raises(ValueError, match="max_tokens"):
        chunk_file("src/a_rather_long_path/to/a/module.py", "python", "x = 1\n", words, 4)


# -- the budget invariant, everywhere -------------------------------------------------

CASES = [(language, source) for language, source in SOURCES.items()] + [
    ("python", big_class(methods=4, body_lines=40)),
    ("markdown", MARKDOWN),
    ("rst", RST),
    (None, "\n".join("word " * (n % 40) for n in range(300))),
    ("javascript", "var a = 1;" * 3000 + "\nfunction f() { return 1; }\n"),
]


@pytest.mark.parametrize("count", [words, chars], ids=["words", "chars"])
@pytest.mark.parametrize("max_tokens", [16, 48, 256])
@pytest.mark.parametrize("language, text", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_every_chunk_fits_the_budget(language, text, count, max_tokens):
    chunks_of("src/case.txt", language, text, count, max_tokens)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(language=st.sampled_from(["python", "javascript", "c", "ruby", "markdown", "rst", None]),
       lines=st.lists(st.sampled_from([
           "", "   ", "def f(x):", "    return x", "class A:", "    def m(self):", "        pass",
           "}", "{", "function g() {", "# Title", "Title", "=====", "-----", "```", "end",
           "x = [1, 2, 3] * 40", "a" * 300, "word " * 120, "\t\tindented", "/* c */", "#ifdef X",
       ]), max_size=60),
       max_tokens=st.integers(min_value=12, max_value=120))
def test_any_file_is_covered_within_budget(language, lines, max_tokens):
    chunks_of("f.src", language, "\n".join(lines), chars, max_tokens)


@pytest.mark.skipif(not TOKENIZER_JSON.exists(), reason="bundled tokenizer not present")
def test_with_the_real_tokenizer():
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(TOKENIZER_JSON))
    # The shipped tokenizer.json pads and truncates to 128: a count needs neither.
    tokenizer.no_truncation()
    tokenizer.no_padding()

    def count(s: str) -> int:
        return len(tokenizer.encode(s).ids)

    assert count("") == 2
    for language, text in CASES + [(None, "x1 " * 70_000)]:
        for max_tokens in (64, 256):
            chunks_of("src/case.txt", language, text, count, max_tokens)
    assert shape(chunks_of("src/greeter.py", "python", PYTHON, count, 64)) == LANGUAGES[0][3]
