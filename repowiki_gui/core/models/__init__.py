"""The local models: the embedder (ONNX), the language model (llama.cpp) and the catalog of bundled GGUFs.

Indexing, chat and the wiki use them; they use nothing of those stages.
"""
