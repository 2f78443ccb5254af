"""The default model for real: the settings choose Qwen2.5-Coder 0.5B, assembled from its part wheels,
loaded the way the interactive worker loads it, answering from focused sources with valid citations."""
from repowiki_gui.core.models import catalog
from repowiki_gui.core.qa.answer import Reference, answer_question, warm_up
from repowiki_gui.jobs import models
from repowiki_gui.settings import Settings

from helpers.sample_repos import SHOP_FILES


def test_the_default_settings_answer_with_the_bundled_qwen_model_and_cite_real_lines():
    settings = Settings()
    assert settings.llm_model == catalog.DEFAULT_MODEL == "qwen2.5-coder-0.5b"
    generator = models.generator(settings)
    assert generator.model_path == catalog.ensure_model(catalog.DEFAULT_MODEL)
    assert generator.model_path.stat().st_size == catalog.bundled(catalog.DEFAULT_MODEL).size
    assert models.generator(settings) is generator   # loaded once per process
    assert warm_up(generator) > 10                   # the system prompt's tokens, read ahead
    text = SHOP_FILES["src/shop/payment.py"]
    refs = [Reference("src/shop/payment.py", 1, text.count("\n") + 1, "verify_signature", 0.9, "code", text, n=1)]
    tokens = []
    result = answer_question("Which hash algorithm does verify_signature use?", refs, [], generator,
                             max_answer_tokens=96, temperature=settings.llm_temperature,
                             max_prompt_tokens=settings.llm_prompt_tokens, focus_lines=settings.llm_focus_lines,
                             on_token=tokens.append)
    assert len(tokens) > 3 and result.text
    # the one fact asked for; the bench's itsdangerous twin of this question ("What hash algorithm
    # does Signer use by default") the 0.5B answers right (fixed seed, temperature 0.1)
    assert "sha256" in result.text.lower().replace("-", "")
    assert not result.text.lstrip().startswith(("[", "```"))  # an answer, not a copied source
    assert result.prompt_tokens <= settings.llm_prompt_tokens
    assert all(1 <= n <= len(result.references) for n in result.cited)
    used = result.references[0]
    assert 1 <= used.start_line <= used.end_line <= text.count("\n") + 1
