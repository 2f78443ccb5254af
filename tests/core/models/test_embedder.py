"""The bundled all-MiniLM-L6-v2 int8 ONNX model, for real."""
import numpy as np
import pytest

from repowiki_gui.core.models.embedder import OnnxEmbedder

from helpers.fakes import FakeEmbedder


@pytest.fixture(scope="module")
def model():
    return OnnxEmbedder(threads=2, batch_size=4)


SNIPPETS = [
    "config/loader.py · load_config (function)\ndef load_config(path):\n    with open(path) as fh:\n"
    "        return yaml.safe_load(fh)",
    "net/http.py · retry_request (function)\ndef retry_request(url, attempts=3):\n    for i in range(attempts):\n"
    "        try:\n            return requests.get(url, timeout=5)\n        except Timeout:\n            continue",
    "ui/colors.py · Palette (class)\nclass Palette:\n    RED = '#ff0000'\n    GREEN = '#00ff00'",
]


def test_vectors_are_normalised_and_a_query_finds_the_right_chunk(model):
    docs = model.embed(SNIPPETS)
    assert docs.shape == (3, 384) and docs.dtype == np.float32
    assert np.allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-5)
    for question, expected in [("read the settings file from disk", 0),
                               ("try the HTTP call again when it times out", 1),
                               ("which colours are defined", 2)]:
        q = model.embed([question])[0]
        assert int(np.argmax(docs @ q)) == expected, question


def test_batching_and_padding_do_not_change_a_vector(model):
    alone = model.embed([SNIPPETS[2]])[0]
    together = model.embed(SNIPPETS + ["x " * 200])[2]
    assert float(alone @ together) > 0.999


def test_text_over_the_window_is_refused_never_truncated(model):
    long = "word " * 400
    assert model.count_tokens(long) > 256
    with pytest.raises(ValueError, match="exceeds the model window"):
        model.embed([long])


def test_token_count_includes_the_special_tokens(model):
    assert model.count_tokens("") == 2
    assert model.count_tokens("hello") == 3


def test_fake_embedder_is_deterministic_and_normalised():
    fake = FakeEmbedder()
    a, b = fake.embed(["alpha beta", "alpha beta"])
    assert np.allclose(a, b) and abs(np.linalg.norm(a) - 1) < 1e-6
    assert fake.calls == [2]


def test_session_options_are_set_and_leave_the_vectors_alone(model):
    tuned = OnnxEmbedder(threads=1, batch_size=4, session_options={
        "enable_cpu_mem_arena": False, "config:session.intra_op.allow_spinning": "0"})
    assert tuned.session.get_session_options().enable_cpu_mem_arena is False
    assert tuned.session.get_session_options().get_session_config_entry("session.intra_op.allow_spinning") == "0"
    assert np.allclose(tuned.embed(SNIPPETS), model.embed(SNIPPETS), atol=1e-5)
    with pytest.raises(AttributeError):
        OnnxEmbedder(session_options={"no_such_option": 1})
