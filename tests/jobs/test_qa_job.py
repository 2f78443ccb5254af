"""Questions end to end: real Redis, interactive worker, ONNX embedder, LanceDB, bundled GGUF."""
import json
import zipfile

import pytest

from repowiki_gui.core.errors import UserError
from repowiki_gui.core.qa.answer import NO_CONTEXT_ANSWER
from repowiki_gui.core.qa.conversations import Conversations
from repowiki_gui.jobs import keys

from helpers.processes import run_cli
from helpers.sample_repos import SHOP_FILES as FILES


@pytest.fixture
def indexed(service, tmp_path):
    zip_path = tmp_path / "shop.zip"
    with zipfile.ZipFile(zip_path, "w") as zf:
        for name, text in FILES.items():
            zf.writestr(f"shop-main/{name}", text)
    final = service.wait(service.enqueue("indexing.index_zip", str(zip_path), "shop"), timeout_s=300)
    assert final["state"] == "finished", final
    return service


def test_answer_streams_tokens_and_ends_with_references(indexed):
    service = indexed
    tokens, order, sources, reading = [], [], [], []
    retrieval_id, answer_id = service.ask("shop", "how is the webhook signature verified?")

    def on_token(text):
        tokens.append(text)
        order.append("token")

    def on_sources(refs):
        sources.append(refs)
        order.append("sources")

    def on_reading(done, total):
        reading.append((done, total))
        order.append("reading")

    done = service.follow_answer(answer_id, retrieval_id, on_token, on_sources=on_sources, on_reading=on_reading)
    assert len(tokens) > 3 and done["answer"].strip()
    # the sources, then the model reading them (0 .. all of the prompt), then the answer
    assert order[0] == "sources" and order.index("token") > max(i for i, e in enumerate(order) if e == "reading")
    assert sources == [done["references"]]
    assert reading[0][0] == 0 and reading[-1][0] == reading[-1][1] > 0
    assert done["references"][0]["path"] == "src/shop/payment.py"
    assert set(done["references"][0]) == {"path", "start_line", "end_line", "symbol", "score", "kind", "repo"}
    assert done["references"][0]["repo"] == "shop"
    assert float(done["first_token_ms"]) > 0
    # the references were kept in Redis with the 300 s TTL for the answer job
    ttl = service.connection.ttl(keys.REFS.format(retrieval_id))
    assert 0 < ttl <= 300
    assert service.wait(answer_id, timeout_s=60)["state"] == "finished"
    # a late reader still sees every token and the end
    replay = []
    assert service.follow_answer(answer_id, retrieval_id, replay.append)["answer"] == done["answer"]
    assert replay == tokens


def test_nothing_relevant_says_so_instead_of_inventing(indexed):
    service = indexed
    service.settings.min_similarity = 0.99  # nothing in the index is that close
    tokens = []
    r, a = service.ask("shop", "what is the capital of France?")
    done = service.follow_answer(a, r, tokens.append)
    assert done["answer"] == NO_CONTEXT_ANSWER and done["references"] == []


def test_stop_cancels_a_streaming_answer(indexed):
    service = indexed
    tokens = []
    r, a = service.ask("shop", "explain in detail everything about the cart and the payment code")

    def on_token(text):
        tokens.append(text)
        if len(tokens) == 2:
            service.cancel(a)

    done = service.follow_answer(a, r, on_token)
    assert done["stopped"] is True
    assert len(tokens) < 40  # the worker checks the cancel flag every 50 ms, per token


def test_follow_up_uses_the_conversation_and_it_persists(indexed):
    service = indexed
    conversations = Conversations(service.home / "app.sqlite")
    conv = conversations.create("shop", "payments")
    for question in ("what does verify_signature do?", "and what does it return?"):
        r, a = service.ask("shop", question, conversation_id=conv)
        service.follow_answer(a, r, lambda t: None)
    turns = conversations.turns(conv)
    assert [t["question"] for t in turns] == ["what does verify_signature do?", "and what does it return?"]
    assert all(t["answer"] for t in turns)
    assert conversations.list("shop")[0]["id"] == conv


def test_unknown_repository_is_one_clear_error(services, service):
    r, a = service.ask("nope", "anything?")
    with pytest.raises(UserError, match="There is no indexed repository named 'nope'"):
        service.follow_answer(a, r, lambda t: None)


def test_a_conversation_is_opened_only_for_a_known_repository_and_an_existing_id(indexed):
    service = indexed
    conversations = Conversations(service.home / "app.sqlite")
    with pytest.raises(UserError, match="There is no indexed repository named 'nope'"):
        service.open_conversation("nope", "anything?", "new")
    assert conversations.list("nope") == []
    with pytest.raises(UserError):
        service.open_conversation("shop", "anything?", "no-such-conversation")
    assert service.open_conversation("shop", "anything?", None) is None
    conv = service.open_conversation("shop", "how is the webhook signature verified?", "new")
    assert [c["id"] for c in conversations.list("shop")] == [conv]
    assert service.open_conversation("shop", "and then?", conv) == conv


def test_cli_search_and_ask_print_the_contract_json(home, tmp_path):
    zip_path = tmp_path / "shop.zip"
    with zipfile.ZipFile(zip_path, "w") as zf:
        for name, text in FILES.items():
            zf.writestr(f"shop-main/{name}", text)
    assert run_cli("index", str(zip_path), home=home, timeout=300).returncode == 0
    found = json.loads(run_cli("search", "shop", "webhook signature", "-k", "2", "--json", home=home).stdout)
    assert found["question"] == "webhook signature" and "answer" not in found
    assert len(found["references"]) <= 2 and found["references"][0]["path"] == "src/shop/payment.py"
    assert found["timings"]["retrieval_ms"] > 0
    result = run_cli("ask", "shop", "what does verify_signature return?", "--json", home=home, timeout=300)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["answer"] and answer["references"]
    assert set(answer["timings"]) == {"retrieval_ms", "first_token_ms", "total_ms"}
    # without --json the sources come first, the reading line goes to stderr, then the answer
    text = run_cli("ask", "shop", "what does verify_signature return?", home=home, timeout=300)
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[0] == "Sources:" and lines[1].startswith("[1] src/shop/payment.py:")
    assert text.stdout.count("Sources:") == 1 and lines[-1].strip()
    assert "Reading the sources" in text.stderr and "Reading the sources" not in text.stdout


def test_a_reopened_answer_whose_cited_lines_changed_is_marked_stale(indexed, home, tmp_path):
    service = indexed
    conv = Conversations(service.home / "app.sqlite").create("shop", "signatures")
    r, a = service.ask("shop", "what does verify_signature do?", conversation_id=conv)
    service.follow_answer(a, r, lambda t: None)
    fresh = run_cli("conversations", conv, "--json", home=home, timeout=120)
    assert fresh.returncode == 0, fresh.stderr
    [turn] = json.loads(fresh.stdout)
    code = [ref for ref in turn["references"] if ref["kind"] == "code"]
    assert code and turn["stale"] is False and all(ref["stale"] is False for ref in code)

    target = code[0]
    lines = FILES[target["path"]].split("\n")
    lines[target["start_line"] - 1] += "  # changed"
    zip_path = tmp_path / "shop2.zip"
    with zipfile.ZipFile(zip_path, "w") as zf:
        for name, text in dict(FILES, **{target["path"]: "\n".join(lines)}).items():
            zf.writestr(f"shop-main/{name}", text)
    assert service.wait(service.enqueue("indexing.index_zip", str(zip_path), "shop"), timeout_s=300)["state"] \
        == "finished"
    reopened = run_cli("conversations", conv, "--json", home=home, timeout=120)
    [turn] = json.loads(reopened.stdout)
    assert turn["stale"] is True
    line = target["start_line"]   # one line edited in place: no other line moved
    assert [ref["stale"] for ref in turn["references"] if ref["kind"] == "code"] == [
        ref["path"] == target["path"] and ref["start_line"] <= line <= ref["end_line"] for ref in code]
    text = run_cli("conversations", conv, home=home, timeout=120)
    assert f"(stale: the code this answer cites changed since: {target['path']}:" in text.stdout
