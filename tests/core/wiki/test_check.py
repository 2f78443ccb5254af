"""Backticked names the model writes are looked up in the index; unknown ones are marked."""
from repowiki_gui.core.wiki.check import UNVERIFIED_MARK, Vocabulary, check_spans, classify, measure_spans

VOCAB = Vocabulary.from_rows(
    ["src/shop/cart.py", "src/shop/payment.py", "README.md", "src/util/app.py", "lib/app.py"],
    ["Cart", "Cart.add_item", "verify_signature"],
    ["class Cart:\n    def add_item(self, sku, qty=1): self.items.append(sku)", "import hmac\nhmac.compare_digest"])


def test_paths_are_found_completed_or_marked():
    assert classify("src/shop/cart.py", VOCAB) == ("path", True, "src/shop/cart.py")
    assert classify("shop/cart.py", VOCAB) == ("path", True, "src/shop/cart.py")   # unique suffix completed
    assert classify("cart.py", VOCAB) == ("path", True, "src/shop/cart.py")
    assert classify("app.py", VOCAB) == ("path", True, "app.py")                   # two files: exists, kept
    assert classify("src/shop", VOCAB) == ("path", True, "src/shop")               # a folder
    assert classify("src/shop/orders.py", VOCAB)[:2] == ("path", False)
    assert classify("server.py", VOCAB)[:2] == ("path", False)
    assert classify("src/nowhere", VOCAB)[:2] == ("path", False)
    # a MIME type is not a path: its words are judged like any code
    assert classify("application/json", VOCAB)[0] == "identifier"


def test_identifiers_need_every_part_in_the_index():
    assert classify("Cart.add_item()", VOCAB)[:2] == ("identifier", True)
    assert classify("hmac.compare_digest(a, b)", VOCAB)[:2] == ("identifier", True)
    assert classify("verify_signature", VOCAB)[:2] == ("identifier", True)
    assert classify("Cart.checkout", VOCAB)[:2] == ("identifier", False)
    assert classify("ShoppingBasket", VOCAB)[:2] == ("identifier", False)
    # commands: their common words are not the repository's names, the rest must be
    assert classify("pip install Cart", VOCAB)[:2] == ("identifier", True)
    assert classify("pip install flask", VOCAB)[:2] == ("identifier", False)


def test_check_spans_rewrites_text_and_counts():
    text = "`Cart` keeps items in `cart.py`; `Basket.empty()` clears it, see `src/none.py`."
    out, stats = check_spans(text, VOCAB)
    assert out == ("`Cart` keeps items in `src/shop/cart.py`; Basket.empty()" + UNVERIFIED_MARK
                   + " clears it, see src/none.py" + UNVERIFIED_MARK + ".")
    assert (stats.paths, stats.paths_ok, stats.identifiers, stats.identifiers_ok) == (2, 1, 2, 1)


def test_measure_skips_fenced_code():
    page = "# T\n\n`Cart` and `Nope`\n\n```python\n`Invented` inside a fence\n```\n\n`verify_signature`\n"
    stats = measure_spans(page, VOCAB)
    assert (stats.identifiers, stats.identifiers_ok) == (3, 2)
