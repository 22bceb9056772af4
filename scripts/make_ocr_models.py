"""Derive the OCR models imrdesk ships (resources/ocr/) from the float PP-OCR models in the rapidocr wheel.

    python scripts/make_ocr_models.py [--check] [--source DIR] [--out DIR]

The weights of each convolution and matrix product (all but a few kB of a model) are stored smaller, as
STORAGE says for each model: ``float16`` (half the bytes, rounded to 11 significant bits) or ``int8`` (a
quarter: one float32 scale per output channel, symmetric, w ≈ q × scale with q in -127..127). A Cast (and for
int8 a Mul) in the graph turns them back into float32; ONNX Runtime folds those constant nodes when it loads
the model (its constant folding, on at every optimisation level above none), so it then runs the float
network with the rounded weights: the arithmetic and its speed are the float models'. Nothing else changes:
the graph, biases, batch-norm parameters, opset and metadata (the recogniser's character list) are copied.
docs/ocr.md gives the measurements behind STORAGE (8-bit weights in the recogniser lose spaces between words;
8-bit activations, ONNX Runtime's quantize_dynamic, lose a third of the values).

The output is a pure function of the source files: running this again on the same wheel gives the same
bytes (``--check`` compares them with the committed ones and MANIFEST.json, and exits 1 if anything
differs). It needs the ``onnx`` package (in the ``test`` extra), which the app never imports.
resources/ocr/MANIFEST.json records the source models' and the derived models' SHA-256;
tests/test_ocr_models.py checks both.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "resources" / "ocr"
# what imrdesk.extract.ocr runs, and how each one's weights are stored
STORAGE = {"PP-OCRv6_det_small.onnx": "int8", "PP-OCRv6_rec_small.onnx": "float16"}
MIN_WEIGHTS = 1024  # smaller weight tensors stay float32 (the bytes they would save are not worth a node)
# the input of each operator that holds its weights, and the axis of its output channels there
WEIGHT_INPUTS = {"Conv": (1, 0), "ConvTranspose": (1, 1), "MatMul": (1, 1)}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def wheel_models() -> Path:
    """The models folder inside the installed rapidocr wheel (found without importing rapidocr)."""
    from importlib.util import find_spec

    spec = find_spec("rapidocr")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("rapidocr is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "models"


def store_weights(model, how: str):
    """The model with its large Conv/ConvTranspose/MatMul weights stored ``how`` ("int8" or "float16")."""
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper

    graph = model.graph
    inits = {t.name: t for t in graph.initializer}
    axes: dict[str, int] = {}
    for node in graph.node:
        where = WEIGHT_INPUTS.get(node.op_type)
        if where and len(node.input) > where[0] and node.input[where[0]] in inits:
            axes.setdefault(node.input[where[0]], where[1])
    new_nodes, new_inits, done = [], [], set()
    for name in sorted(axes):  # a fixed order: the same source gives the same bytes
        w = numpy_helper.to_array(inits[name])
        if w.dtype != np.float32 or w.size < MIN_WEIGHTS:
            continue
        if how == "float16":
            new_inits.append(numpy_helper.from_array(w.astype(np.float16), name + "__float16"))
            new_nodes.append(
                helper.make_node("Cast", [name + "__float16"], [name], to=onnx.TensorProto.FLOAT)
            )
        elif how == "int8":
            other = tuple(i for i in range(w.ndim) if i != axes[name])
            peak = np.abs(w).max(axis=other, keepdims=True)
            scale = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float32)
            q = np.clip(np.rint(w / scale), -127, 127).astype(np.int8)
            new_inits += [
                numpy_helper.from_array(q, name + "__int8"),
                numpy_helper.from_array(scale, name + "__scale"),
            ]
            new_nodes += [
                helper.make_node("Cast", [name + "__int8"], [name + "__float"], to=onnx.TensorProto.FLOAT),
                helper.make_node("Mul", [name + "__float", name + "__scale"], [name]),
            ]
        else:
            raise ValueError(f"unknown storage {how!r}")
        done.add(name)
    kept = [t for t in graph.initializer if t.name not in done]
    del graph.initializer[:]
    graph.initializer.extend(kept + new_inits)
    inputs = [i for i in graph.input if i.name not in done]
    del graph.input[:]
    graph.input.extend(inputs)
    nodes = new_nodes + list(graph.node)  # the weights' nodes first: the graph stays in topological order
    del graph.node[:]
    graph.node.extend(nodes)
    onnx.checker.check_model(model)
    return model, len(done)


def derive(source: Path, how: str) -> bytes:
    import onnx

    model, count = store_weights(onnx.load(str(source)), how)
    data = model.SerializeToString(deterministic=True)
    print(f"{source.name}: {count} weight tensors as {how}, {source.stat().st_size:,} -> {len(data):,} bytes")
    return data


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--source", type=Path, default=None, help="the float models (default: the rapidocr wheel's)"
    )
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--check", action="store_true", help="compare with the files in --out, write nothing")
    args = ap.parse_args()
    from importlib.metadata import version

    source = args.source or wheel_models()
    manifest = {
        "made_by": "scripts/make_ocr_models.py",
        "source": f"rapidocr {version('rapidocr')} wheel, rapidocr/models/",
        "onnx": version("onnx"),
        "models": {},
    }
    differ = []
    for name, how in STORAGE.items():
        data = derive(source / name, how)
        manifest["models"][name] = {
            "weights": how,
            "source_sha256": sha256(source / name),
            "sha256": hashlib.sha256(data).hexdigest(),
        }
        target = args.out / name
        if args.check:
            if not target.is_file() or target.read_bytes() != data:
                differ.append(name)
        else:
            args.out.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    text = json.dumps(manifest, indent=2) + "\n"
    if args.check:
        committed = args.out / "MANIFEST.json"
        if (
            not committed.is_file()
            or json.loads(committed.read_text(encoding="utf-8"))["models"] != manifest["models"]
        ):
            differ.append("MANIFEST.json")
        if differ:
            print("not what the wheel's models give:", ", ".join(differ))
            return 1
        print("the committed models are what the wheel's models give")
        return 0
    (args.out / "MANIFEST.json").write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
