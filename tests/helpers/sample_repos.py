"""Small repositories the end-to-end tests index: a shop for chat, a shop package for the wiki."""
import zipfile
from pathlib import Path

SHOP_FILES = {
    "src/shop/payment.py": 'import hmac\n\n\ndef verify_signature(payload: bytes, signature: str, secret: bytes) -> bool:\n'
                           '    """Check the webhook signature the payment provider sends."""\n'
                           '    expected = hmac.new(secret, payload, "sha256").hexdigest()\n'
                           '    return hmac.compare_digest(expected, signature)\n',
    "src/shop/cart.py": "class Cart:\n    def __init__(self):\n        self.items = []\n\n"
                        "    def add_item(self, sku, qty=1):\n        self.items.append((sku, qty))\n",
}

SHOPWIKI = {
    "README.md": "# shopwiki\n\n[![ci](https://x/badge.svg)](https://x)\n\nA tiny shop: carts, payments and "
                 "receipts. It shows how orders flow from the cart to the payment provider.\n\n"
                 "## Installing\n\nRun `pip install .` in a checkout.\n\n## Usage\n\nRun `shop-cli checkout`.\n",
    "pyproject.toml": '[project]\nname = "shopwiki"\nversion = "1.0"\ndependencies = ["requests>=2", "click"]\n\n'
                      '[project.optional-dependencies]\ntest = ["pytest"]\n\n'
                      '[project.scripts]\nshop-cli = "shopwiki.cli:main"\n',
    "src/shopwiki/__init__.py": '"""The shop package."""\n',
    "src/shopwiki/cart.py": 'from .pricing import price_of\n\n\nclass Cart:\n    """A shopping cart of (sku, qty) pairs."""\n\n'
                            '    def __init__(self):\n        self.items = []\n\n'
                            '    def add_item(self, sku: str, qty: int = 1) -> None:\n        """Put qty of sku in the cart."""\n'
                            '        self.items.append((sku, qty))\n\n'
                            '    def total(self) -> int:\n        """The price of everything in the cart."""\n'
                            '        return sum(price_of(s) * q for s, q in self.items)\n',
    "src/shopwiki/pricing.py": 'PRICES = {"apple": 3}\n\n\ndef price_of(sku: str) -> int:\n'
                               '    """The unit price of a sku, in cents."""\n    return PRICES.get(sku, 0)\n',
    "src/shopwiki/payments/__init__.py": 'from .provider import charge\n',
    "src/shopwiki/payments/provider.py": 'import hmac\n\nfrom ..cart import Cart\n\n\n'
                                         'def charge(cart: Cart, token: str) -> str:\n'
                                         '    """Charge the cart total to the card behind token; the receipt id."""\n'
                                         '    return hmac.new(token.encode(), str(cart.total()).encode(), "sha256").hexdigest()\n',
    "src/shopwiki/cli.py": 'import sys\n\nfrom .cart import Cart\nfrom .payments import charge\n\n\n'
                           'def main(argv=None) -> int:\n    """shop-cli: checkout a demo cart."""\n'
                           '    cart = Cart()\n    cart.add_item("apple", 2)\n    print(charge(cart, "tok"))\n    return 0\n\n\n'
                           'if __name__ == "__main__":\n    sys.exit(main())\n',
    "tests/test_cart.py": 'from shopwiki.cart import Cart\n\n\ndef test_total():\n    assert Cart().total() == 0\n',
    "Makefile": ".PHONY: test\ntest:\n\tpytest\n",
}


def write_zip(path: Path, files: dict[str, str], top: str = "shopwiki-main") -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in files.items():
            zf.writestr(f"{top}/{name}", text)
    return path
