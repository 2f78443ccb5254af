"""Hybrid retrieval on real LanceDB (fake and real embedders)."""
import zipfile

import pytest

from repowiki_gui.core.index.indexer import index_zip
from repowiki_gui.core.index.repositories import RepoRegistry
from repowiki_gui.core.index.store import ChunkStore
from repowiki_gui.core.ingest.files import IngestLimits
from repowiki_gui.core.models.embedder import OnnxEmbedder
from repowiki_gui.core.qa.search import search

from helpers.fakes import FakeEmbedder

FILES = {
    "src/shop/cart.py": '''class Cart:
    """A shopping cart."""

    def __init__(self):
        self.items = []

    def add_item(self, sku, qty=1):
        self.items.append((sku, qty))

    def total_price(self, prices):
        return sum(prices[sku] * qty for sku, qty in self.items)
''',
    "src/shop/payment.py": '''import hmac


def verify_signature(payload: bytes, signature: str, secret: bytes) -> bool:
    """Check the webhook signature the payment provider sends."""
    expected = hmac.new(secret, payload, "sha256").hexdigest()
    return hmac.compare_digest(expected, signature)


def refund(order_id, amount):
    raise NotImplementedError("refunds go through the provider dashboard")
''',
    "src/shop/email.js": '''function sendReceiptEmail(order, mailer) {
  return mailer.send(order.customerEmail, "Your receipt", renderReceipt(order));
}
''',
    "docs/setup.md": "# Setup\n\n## Database\n\nSet DATABASE_URL to a postgres URL before starting.\n",
    "tests/test_cart.py": "from shop.cart import Cart\n\n\ndef test_total():\n    assert Cart().total_price({}) == 0\n",
}


def build(tmp_path, embedder):
    zip_path = tmp_path / "shop.zip"
    with zipfile.ZipFile(zip_path, "w") as zf:
        for name, text in FILES.items():
            zf.writestr(f"shop-main/{name}", text)
    store = ChunkStore(tmp_path / "lancedb", embedder.dim)
    index_zip(zip_path, "shop", store=store, registry=RepoRegistry(tmp_path / "app.sqlite"), embedder=embedder,
              limits=IngestLimits())
    return store


@pytest.fixture
def fake_store(tmp_path):
    embedder = FakeEmbedder()
    return build(tmp_path, embedder), embedder


def test_identifier_in_the_question_finds_its_definition_first(fake_store):
    store, embedder = fake_store
    hits = search(store, embedder, "shop", "what does verify_signature return?", k=5)
    assert hits[0].path == "src/shop/payment.py" and "verify_signature" in hits[0].symbol
    assert hits[0].start_line == 4 or hits[0].start_line <= 4 <= hits[0].end_line
    camel = search(store, embedder, "shop", "where is sendReceiptEmail defined", k=3)
    assert camel[0].path == "src/shop/email.js"


def test_modes_and_the_reference_shape(fake_store):
    store, embedder = fake_store
    for mode in ("vector", "fts", "hybrid"):
        hits = search(store, embedder, "shop", "database url postgres", k=3, mode=mode)
        assert hits and hits[0].path == "docs/setup.md", mode
    ref = hits[0].to_json()
    assert set(ref) == {"path", "start_line", "end_line", "symbol", "score", "kind", "repo"}
    assert ref["kind"] == "code" and 0 <= ref["score"] <= 1.2 and ref["repo"] == "shop"


def test_overlapping_chunks_of_one_file_merge_into_one_hit(fake_store):
    store, embedder = fake_store
    hits = search(store, embedder, "shop", "cart add_item total_price items", k=10)
    cart_hits = [h for h in hits if h.path == "src/shop/cart.py"]
    for a in cart_hits:
        for b in cart_hits:
            if a is not b:
                assert a.end_line + 1 < b.start_line or b.end_line + 1 < a.start_line


def test_merge_keeps_exact_lines_and_the_best_score():
    from repowiki_gui.core.qa.search import _merge_overlaps

    source = [f"line {i}" for i in range(1, 21)]

    def row(cid, a, b, symbol):
        return {"chunk_id": cid, "path": "m.py", "language": "python", "symbol": symbol, "kind": "function",
                "start_line": a, "end_line": b, "text": "\n".join(source[a - 1:b])}

    hits = _merge_overlaps([(row("x", 5, 9, "f"), 0.9, 0.5), (row("y", 8, 12, "g"), 0.4, 0.7),
                            (row("z", 15, 16, "h"), 0.3, 0.2)], k=5)
    assert [(h.start_line, h.end_line) for h in hits] == [(5, 12), (15, 16)]
    assert hits[0].text == "\n".join(source[4:12]) and hits[0].symbol == "f, g"
    assert hits[0].score == 0.9 and hits[0].similarity == 0.7 and hits[0].chunk_ids == ["x", "y"]


def test_another_repository_is_never_returned(fake_store, tmp_path):
    store, embedder = fake_store
    assert search(store, embedder, "other", "verify_signature") == []


def test_real_model_answers_a_natural_question(tmp_path):
    embedder = OnnxEmbedder(threads=2)
    store = build(tmp_path, embedder)
    hits = search(store, embedder, "shop", "how is the webhook from the payment provider authenticated?", k=3)
    assert hits[0].path == "src/shop/payment.py"
    assert hits[0].similarity > search(store, embedder, "shop", "how do I bake sourdough bread?", k=1)[0].similarity


def test_past_the_threshold_a_vector_index_serves_the_same_answers(tmp_path):
    embedder = FakeEmbedder()
    store = build(tmp_path, embedder)
    before = search(store, embedder, "shop", "verify_signature webhook", k=3)
    # pad the table so IVF_PQ can train, then index it
    from repowiki_gui.core.index.chunking import Chunk

    import numpy as np

    rng = np.random.default_rng(0)
    filler = [Chunk(f"pad/f{i}.txt", 1, 1, None, "", "text", f"filler {i}", f"pad/f{i}.txt\nfiller {i}")
              for i in range(600)]
    vecs = rng.standard_normal((600, embedder.dim)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    store.apply("pad", filler, vecs, {c.path: "0" * 64 for c in filler}, set())
    store.ensure_indexes(vector_index_min_rows=500)
    assert store.has_vector_index()
    after = search(store, embedder, "shop", "verify_signature webhook", k=3)
    assert [h.path for h in after][:1] == [h.path for h in before][:1] == ["src/shop/payment.py"]


def test_scope_keeps_to_path_prefixes(fake_store):
    store, embedder = fake_store
    hits = search(store, embedder, "shop", "signature cart receipt", k=10, scope=["src/shop/payment.py", "docs"])
    assert hits and {h.path for h in hits} <= {"src/shop/payment.py", "docs/setup.md"}
    assert search(store, embedder, "shop", "cart", k=10, scope=["src/sho"]) == []  # a prefix is a folder, not a string


def test_wiki_sections_are_hits_of_kind_wiki(fake_store, tmp_path):
    from repowiki_gui.core.index.sections import SectionRow, SectionStore

    store, embedder = fake_store
    sections = SectionStore(tmp_path / "lancedb", embedder.dim)
    assert search(store, embedder, "shop", "cart", k=5, sections=sections)  # no sections table yet: code only
    rows = [SectionRow("architecture.md", 3, 9, "Architecture: Deployment topology",
                       "The shop runs behind a reverse proxy; deployment topology uses three replicas.")]
    sections.replace("shop", rows, embedder.embed([r.title + "\n" + r.text for r in rows]))
    sections.replace("other", rows, embedder.embed([r.title + "\n" + r.text for r in rows]))
    hits = search(store, embedder, "shop", "deployment topology replicas", k=5, sections=sections)
    wiki = [h for h in hits if h.kind == "wiki"]
    assert [(h.path, h.start_line, h.end_line) for h in wiki] == [("architecture.md", 3, 9)]
    assert wiki[0].to_json()["kind"] == "wiki"
    sections.replace("shop", [], embedder.embed([]).reshape(0, embedder.dim))
    assert sections.count("shop") == 0 and sections.count("other") == 1


# --- several repositories -------------------------------------------------------------------------
def _index(tmp_path, store, embedder, name: str, files: dict[str, str]) -> None:
    zip_path = tmp_path / f"{name}.zip"
    with zipfile.ZipFile(zip_path, "w") as zf:
        for path, text in files.items():
            zf.writestr(f"{name}-main/{path}", text)
    index_zip(zip_path, name, store=store, registry=RepoRegistry(tmp_path / "app.sqlite"), embedder=embedder,
              limits=IngestLimits())


# A big repository about orders and payments, none of whose files is about durations.
BIG = {f"src/orders/mod_{i}.py": f'''def handle_order_{i}(order, payment):
    """Take order {i}, charge its payment and send the receipt."""
    payment.charge(order.total)
    return order.receipt()
''' for i in range(120)}
# A small one with the one file that answers a question about parsing durations.
SMALL = {"clock/durations.py": '''def parse_duration(text):
    """Parse a duration such as 1h30m into seconds."""
    hours, _, minutes = text.partition("h")
    return int(hours) * 3600 + int(minutes.rstrip("m") or 0) * 60
''', "clock/zones.py": "def local_zone():\n    return 'UTC'\n"}


@pytest.fixture
def two_repos(tmp_path):
    embedder = FakeEmbedder()
    store = ChunkStore(tmp_path / "lancedb", embedder.dim)
    _index(tmp_path, store, embedder, "big", BIG)
    _index(tmp_path, store, embedder, "small", SMALL)
    return store, embedder


def test_a_small_repository_is_not_crowded_out_by_a_big_one(two_repos):
    store, embedder = two_repos
    question = "how does parse_duration turn a duration into seconds?"
    alone = search(store, embedder, "small", question, k=5)
    together = search(store, embedder, ["big", "small"], question, k=5)
    assert alone[0].path == "clock/durations.py"
    assert (together[0].repo, together[0].path) == ("small", "clock/durations.py")   # first, as alone
    # and the big one's own question still finds its own file first, with the small one searched too
    order = search(store, embedder, ["small", "big"], "what does handle_order_7 charge?", k=5)
    assert (order[0].repo, order[0].path) == ("big", "src/orders/mod_7.py")


def test_every_hit_carries_its_repository(two_repos):
    store, embedder = two_repos
    one = search(store, embedder, "big", "charge the payment", k=3)
    assert one and {h.repo for h in one} == {"big"} and all(h.to_json()["repo"] == "big" for h in one)
    both = search(store, embedder, ["big", "small"], "order payment duration seconds", k=200)
    assert {h.repo for h in both} == {"big", "small"}
    assert all(h.path in (BIG if h.repo == "big" else SMALL) for h in both)
    assert [h.score for h in both] == sorted((h.score for h in both), reverse=True)


def test_merge_weighs_each_repository_by_how_well_it_matches():
    from repowiki_gui.core.qa.search import Hit, merge_repositories

    def hit(repo, path, score, sim):
        return Hit(path, 1, 2, "", "code", "python", "x", score, sim, [path], repo)

    # "off" ranks its own best hit first (score 1.0) but matches the question far less than "on" does
    merged = merge_repositories({"off": [hit("off", "o.py", 1.0, 0.2)],
                                 "on": [hit("on", "a.py", 0.8, 0.8), hit("on", "b.py", 0.5, 0.6)]}, k=3)
    assert [h.path for h in merged] == ["a.py", "b.py", "o.py"]
    assert merged[2].score == pytest.approx(0.25)


def test_repository_names_one_several_or_all():
    from repowiki_gui.core.errors import UserError
    from repowiki_gui.core.qa.search import parse_repos

    known = ["flask", "humanize", "itsdangerous"]
    assert parse_repos("flask", known) == ["flask"]
    assert parse_repos("humanize, flask,humanize", known) == ["humanize", "flask"]
    assert parse_repos("all", known) == sorted(known)
    with pytest.raises(UserError, match=r"^There is no indexed repository named 'nope'; see `repowiki repos`\.$"):
        parse_repos("flask,nope", known)
    with pytest.raises(UserError, match=r"repositories named 'a', 'b'"):
        parse_repos("a,b", known)
    with pytest.raises(UserError, match="No repository is indexed yet"):
        parse_repos("all", [])
    with pytest.raises(UserError, match="Name a repository"):
        parse_repos(" , ", known)
