"""A section's prose: sources fitted to the budget, reply cleaned, names checked, cached by its sources."""
from repowiki_gui.core.qa.answer import Reference
from repowiki_gui.core.wiki.check import UNVERIFIED_MARK, Vocabulary
from repowiki_gui.core.wiki.prose import clean_prose, fit_sources, prose_key, write_prose

from helpers.fakes import FakeGenerator

VOCAB = Vocabulary.from_rows(["src/shop/cart.py"], ["Cart", "Cart.add_item"], ["class Cart: def add_item(self)"])


def ref(n, text="class Cart:\n    def add_item(self): ...", path="src/shop/cart.py"):
    return Reference(path, 1, text.count("\n") + 1, "Cart", 1.0 / n, "code", text, n=n)


def link(r):
    return f"sources/{r.path}.md#L{r.start_line}-L{r.end_line}"


def test_clean_prose_removes_what_the_model_must_not_add():
    raw = ("## Overview\n\n- `Cart` holds items [1].\n\n```python\nprint('x')\n```\n"
           "See [the docs](http://evil) and ![img](x.png) <img src=x onerror=alert(1)>\n")
    out = clean_prose(raw)
    assert "##" not in out and "```" not in out and "http://evil" not in out and "print" not in out
    assert "<img" not in out and "&lt;img src=x onerror=alert(1)&gt;" in out
    assert out.startswith("Overview\n\n`Cart` holds items [1].")


def test_write_prose_checks_names_links_citations_and_caches():
    gen = FakeGenerator(["`Cart` stores items via `Cart.add_item` and `Cart.checkout` [1] [7].\n\n# More"])
    cache: dict = {}
    prose = write_prose("Describe the cart.", [ref(1)], gen, VOCAB, max_tokens=100, temperature=0.1,
                        cache=cache, link=link)
    assert prose.generated and len(gen.prompts) == 1
    assert "`Cart.add_item`" in prose.text and "Cart.checkout" + UNVERIFIED_MARK in prose.text
    assert "[[1]](sources/src/shop/cart.py.md#L1-L2)" in prose.text and "[7]" not in prose.text
    assert (prose.raw.identifiers, prose.raw.identifiers_ok) == (3, 2)
    # same sources: reused without calling the model; changed source text: written again
    again = write_prose("Describe the cart.", [ref(1)], gen, VOCAB, max_tokens=100, temperature=0.1,
                        cache=cache, link=link)
    assert not again.generated and again.text == prose.text and len(gen.prompts) == 1
    gen.replies.append("`Cart` changed.")
    changed = write_prose("Describe the cart.", [ref(1, "class Cart:\n    pass")], gen, VOCAB, max_tokens=100,
                          temperature=0.1, cache=cache, link=link)
    assert changed.generated and len(gen.prompts) == 2


def test_sources_fit_the_context_and_the_strongest_is_trimmed_when_alone():
    big = ref(1, "\n".join(f"line {i} of the cart module" for i in range(400)))
    gen = FakeGenerator(n_ctx=400)
    messages, refs = fit_sources("Describe.", [big, ref(2)], gen, max_tokens=100)
    assert len(refs) == 1 and refs[0].end_line < big.end_line
    assert gen.count_message_tokens(messages) + 100 <= 400
    _, refs = fit_sources("Describe.", [ref(1), ref(2)], FakeGenerator(n_ctx=2048), max_tokens=100)
    assert [r.n for r in refs] == [1, 2]
    # a prompt budget below the context window keeps fewer sources
    one = FakeGenerator().count_message_tokens(fit_sources("Describe.", [ref(1)], gen, 100)[0])
    _, refs = fit_sources("Describe.", [ref(1), ref(2)], FakeGenerator(n_ctx=2048), max_tokens=100,
                          max_prompt_tokens=one + 5)
    assert [r.n for r in refs] == [1]


def test_no_sources_means_no_prose_and_no_model_call():
    gen = FakeGenerator(["anything"])
    prose = write_prose("Describe.", [], gen, VOCAB, max_tokens=50, temperature=0.1, cache={}, link=link)
    assert prose.text == "" and not gen.prompts


def test_a_stopped_reply_is_not_cached():
    gen = FakeGenerator(["one two three four five"])
    cache: dict = {}
    write_prose("Describe.", [ref(1)], gen, VOCAB, max_tokens=50, temperature=0.1, cache=cache, link=link,
                should_stop=lambda: True)
    assert cache == {}
    assert prose_key("m", "a", [ref(1)]) != prose_key("m2", "a", [ref(1)])


def test_a_looping_reply_is_cut_and_bold_names_are_checked_like_code():
    raw = ("pathspec matches file paths. **GitWildMatchPattern** compiles one pattern (https://github.com/x). "
           "**GitWildMatchPattern** - a set of commands that help you work with Git. "
           "**GitwildMatchPattern** - a set of commands that help you work with Git, too. More text here.")
    out = clean_prose(raw)
    assert out == ("pathspec matches file paths. `GitWildMatchPattern` compiles one pattern. "
                   "`GitWildMatchPattern` - a set of commands that help you work with Git.")  # the repeat is cut
    many = " ".join(f"Sentence number {n} says thing{n}." for n in range(10))
    assert clean_prose(many).count("Sentence") == 6
