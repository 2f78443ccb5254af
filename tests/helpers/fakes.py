"""Deterministic stand-ins for the two models, for fast unit tests (no ONNX, no GGUF).

Both subclass the bases of ``core/models`` (``Embedder``, ``Generator``), so the
indexer, search, answers and the wiki take them as they take the real ones.
"""
from __future__ import annotations

import copy
import hashlib
import re
from typing import Callable, Iterator

import numpy as np

from repowiki_gui.core.models.embedder import Embedder
from repowiki_gui.core.models.llm import MESSAGE_OVERHEAD_TOKENS, Generator

_WORD = re.compile(r"[A-Za-z0-9_]+")
_TOKEN = re.compile(r"\w+|[^\w\s]")


def _never() -> bool:
    return False


class FakeEmbedder(Embedder):
    """Bag-of-words hashing: texts that share words get close vectors; records each batch size."""

    model_id = "fake-hash-64"

    def __init__(self, dim: int = 64, max_tokens: int = 256):
        self.dim = dim
        self.max_tokens = max_tokens
        self.calls: list[int] = []  # batch sizes, so tests can see what was (re-)embedded

    def count_tokens(self, text: str) -> int:
        """Two special tokens, the words and every punctuation mark."""
        return 2 + len(_WORD.findall(text)) + len(re.findall(r"[^\sA-Za-z0-9_]", text))

    def embed(self, texts: list[str]) -> np.ndarray:
        self.calls.append(len(texts))
        out = np.zeros((len(texts), self.dim), np.float32)
        for row, text in enumerate(texts):
            for word in _WORD.findall(text.lower()):
                h = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=4).digest(), "little")
                out[row, h % self.dim] += 1.0
        out[:, 0] += 1e-3  # no all-zero rows
        return out / np.linalg.norm(out, axis=1, keepdims=True)


class FakeGenerator(Generator):
    """Replays queued replies word by word and records every prompt.

    A token is a run of word characters or one punctuation mark.  A prompt
    that leaves no room for ``max_tokens`` in ``n_ctx`` raises, as a real
    context overflow would, so tests catch budget mistakes.
    """

    model_id = "fake"

    def __init__(self, replies: list[str] | None = None, n_ctx: int = 2048):
        self.replies = list(replies or [])
        self.n_ctx = n_ctx
        self.prompts: list[list[dict]] = []
        self.max_tokens: list[int] = []

    def count_tokens(self, text: str) -> int:
        """Words and punctuation marks in ``text``."""
        return len(_TOKEN.findall(text))

    def count_message_tokens(self, messages: list[dict]) -> int:
        """Contents plus ``MESSAGE_OVERHEAD_TOKENS`` per message and for the reply header."""
        return sum(self.count_tokens(m["content"]) + MESSAGE_OVERHEAD_TOKENS
                   for m in messages) + MESSAGE_OVERHEAD_TOKENS

    def stream(self, messages: list[dict], *, max_tokens: int, temperature: float,
               should_stop: Callable[[], bool] = _never, not_first: tuple[str, ...] = ()) -> Iterator[str]:
        """Yield the next queued reply one word (with its leading space) at a time.

        A reply that starts with one of ``not_first`` loses that start, as
        the real model cannot begin with it.
        """
        self.prompts.append(copy.deepcopy(messages))
        self.max_tokens.append(max_tokens)
        used = self.count_message_tokens(messages)
        if used + max_tokens > self.n_ctx:
            raise ValueError(f"prompt {used} + answer {max_tokens} tokens exceed n_ctx {self.n_ctx}")
        reply = self.replies.pop(0) if self.replies else "I don't know."
        while not_first and reply.startswith(not_first):
            reply = reply[1:]
        for n, word in enumerate(re.findall(r"\s*\S+", reply)):
            if n >= max_tokens or should_stop():
                return
            yield word
