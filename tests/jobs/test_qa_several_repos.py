"""Questions across several repositories, end to end: real Redis, workers, LanceDB, ONNX and the tiny GGUF."""
import json

import pytest

from repowiki_gui.core.qa.conversations import Conversations

from helpers.processes import run_cli
from helpers.sample_repos import SHOP_FILES, write_zip

CLOCK_FILES = {
    "clock/durations.py": 'def parse_duration(text):\n    """Parse a duration such as 1h30m into seconds."""\n'
                          '    hours, _, minutes = text.partition("h")\n'
                          '    return int(hours) * 3600 + int(minutes.rstrip("m") or 0) * 60\n',
}


@pytest.fixture
def two_repos(service, tmp_path):
    for name, files in (("shop", SHOP_FILES), ("clock", CLOCK_FILES)):
        zip_path = write_zip(tmp_path / f"{name}.zip", files, top=f"{name}-main")
        final = service.wait(service.enqueue("indexing.index_zip", str(zip_path), name), timeout_s=300)
        assert final["state"] == "finished", final
    return service


def test_cli_search_over_two_repositories_and_all(two_repos, home):
    for spec in ("shop,clock", "all"):
        result = run_cli("search", spec, "parse_duration seconds verify_signature webhook", "-k", "6", "--json",
                         home=home, timeout=300)
        assert result.returncode == 0, result.stderr
        refs = json.loads(result.stdout)["references"]
        assert {r["repo"] for r in refs} == {"shop", "clock"}, spec
        assert all(r["path"] in (SHOP_FILES if r["repo"] == "shop" else CLOCK_FILES) for r in refs)
    # one repository: its references carry it too, and the text output stays as it was
    one = json.loads(run_cli("search", "clock", "parse_duration", "--json", home=home).stdout)["references"]
    assert one and {r["repo"] for r in one} == {"clock"}
    text = run_cli("search", "clock", "parse_duration", home=home).stdout
    assert text.startswith("[1] clock/durations.py:1-")
    several = run_cli("search", "shop,clock", "parse_duration seconds verify_signature", home=home).stdout
    assert "clock:clock/durations.py:" in several and "shop:src/shop/payment.py:" in several


def test_an_unknown_name_among_several_is_one_sentence(two_repos, home):
    for command in ("search", "ask"):
        result = run_cli(command, "shop,nope", "parse_duration", home=home, timeout=300)
        assert result.returncode == 1 and result.stdout == ""
        assert result.stderr.strip() == "repowiki: There is no indexed repository named 'nope'; see `repowiki repos`."


def test_cli_ask_over_two_repositories(two_repos, home):
    result = run_cli("ask", "clock,shop", "what does parse_duration return, and what does verify_signature check?",
                     "-k", "4", "--json", "--conversation", "new", home=home, timeout=300)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["answer"] and answer["references"]
    assert {r["repo"] for r in answer["references"]} == {"clock", "shop"}
    conversations = Conversations(home / "app.sqlite")
    assert conversations.get(answer["conversation"])["repo"] == "clock,shop"
    stored = conversations.turns(answer["conversation"])[0]["references"]
    assert {r["repo"] for r in stored} == {"clock", "shop"}
    # the conversation is listed under each of its repositories, and not under a prefix of one
    assert [c["id"] for c in conversations.list("shop")] == [answer["conversation"]]
    assert [c["id"] for c in conversations.list("clock")] == [answer["conversation"]]
    assert conversations.list("sho") == []


def test_the_answer_stream_and_the_job_results_carry_the_repository(two_repos):
    service = two_repos
    sources = []
    retrieval_id, answer_id = service.ask("shop,clock", "parse_duration seconds and verify_signature", 4)
    done = service.follow_answer(answer_id, retrieval_id, lambda text: None, on_sources=sources.append)
    retrieved = service.status(retrieval_id)["result"]["references"]
    assert {r["repo"] for r in retrieved} == {"shop", "clock"}
    assert sources and all(r["repo"] in ("shop", "clock") for r in sources[0])
    assert done["references"] and all(r["repo"] in ("shop", "clock") for r in done["references"])
