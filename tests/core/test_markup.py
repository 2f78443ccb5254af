"""core/markup.py: the one reading of fences and headings that the chunker, the README digest and the checks share."""
from repowiki_gui.core.markup import (Heading, closes_fence, fenced_rows, markdown_headings, outside_fences, rst_headings,
                                     split_fences)

DOC = """---
title: x
---
# Title #

Intro
````python
# not a heading
```
still code
````
Setext
------
~~~
## also code
~~~
- a list item
---
"""


def test_headings_skip_front_matter_and_every_kind_of_fence():
    lines = DOC.split("\n")
    assert markdown_headings(lines) == [Heading(3, 1, "Title"), Heading(11, 2, "Setext")]
    assert all(isinstance(h, Heading) for h in markdown_headings(lines))


def test_a_fence_closes_only_on_its_own_character_at_least_as_long_with_nothing_after():
    assert closes_fence("```", "```") and closes_fence("```", "  `````")
    assert not closes_fence("````", "```") and not closes_fence("```", "~~~")
    assert not closes_fence("```", "```python")
    lines = ["a", "```", "b", "```", "c"]
    assert fenced_rows(lines) == [False, True, True, True, False]
    assert outside_fences("\n".join(lines)) == ["a", "c"]
    assert outside_fences("a\n```\nnever closed") == ["a", ""]


def test_rst_levels_follow_first_use_and_an_overlined_title_starts_at_its_overline():
    lines = "=====\nTitle\n=====\n\nPart\n----\n\nOther\n=====\n".split("\n")
    assert rst_headings(lines) == [Heading(0, 1, "Title"), Heading(4, 2, "Part"), Heading(7, 3, "Other")]


def test_split_fences_runs_in_order_with_languages_and_indents():
    text = "intro\n  ```Python extra\n  def f():\n      pass\n  ```\nbetween\n~~~\nopen to the end"
    assert split_fences(text) == [("text", "intro", ""), ("code", "def f():\n    pass\n", "python"),
                                  ("text", "between", ""), ("code", "open to the end\n", "")]
    assert split_fences("``` a`b\nnot code") == [("text", "``` a`b\nnot code", "")]   # a backtick: not a fence
