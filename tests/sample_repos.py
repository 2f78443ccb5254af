"""A tiny repository the end-to-end chat tests index."""

SHOP_FILES = {
    "src/shop/payment.py": 'import hmac\n\n\ndef verify_signature(payload: bytes, signature: str, secret: bytes) -> bool:\n'
                           '    """Check the webhook signature the payment provider sends."""\n'
                           '    expected = hmac.new(secret, payload, "sha256").hexdigest()\n'
                           '    return hmac.compare_digest(expected, signature)\n',
    "src/shop/cart.py": "class Cart:\n    def __init__(self):\n        self.items = []\n\n"
                        "    def add_item(self, sku, qty=1):\n        self.items.append((sku, qty))\n",
}
