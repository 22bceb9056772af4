"""The OCR models imrdesk ships (resources/ocr/): what they are, where they come from, that the app loads them.

scripts/make_ocr_models.py derives them from the float PP-OCR models of the rapidocr wheel (8-bit weights, one
scale per output channel, turned back into float32 by ONNX Runtime when it loads them); MANIFEST.json records
the SHA-256 of both. The accuracy they read with is measured by benchmarks/ocr_bench.py (docs/ocr.md).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

import pytest

from imrdesk.extract import ocr

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "resources" / "ocr"
MANIFEST = json.loads((SHIPPED / "MANIFEST.json").read_text(encoding="utf-8"))

needs_engine = pytest.mark.skipif(find_spec("rapidocr") is None, reason="the OCR engine is not installed")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def wheel_models() -> Path:
    return Path(next(iter(find_spec("rapidocr").submodule_search_locations))) / "models"


def test_the_committed_models_are_the_ones_the_manifest_names():
    assert sorted(MANIFEST["models"]) == sorted(ocr.MODELS)
    assert sorted(p.name for p in SHIPPED.glob("*.onnx")) == sorted(ocr.MODELS)
    for name, entry in MANIFEST["models"].items():
        assert sha256(SHIPPED / name) == entry["sha256"], name
        assert entry["sha256"] != entry["source_sha256"] and entry["weights"] in ("int8", "float16")


@needs_engine
def test_they_derive_from_the_installed_rapidocr_wheels_models():
    from importlib.metadata import version

    assert MANIFEST["source"].startswith(f"rapidocr {version('rapidocr')} ")
    for name, entry in MANIFEST["models"].items():
        assert sha256(wheel_models() / name) == entry["source_sha256"], name


@pytest.mark.skipif(find_spec("onnx") is None, reason="onnx (the test extra) is not installed")
def test_the_script_makes_them_again_byte_for_byte(tmp_path):
    made = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_ocr_models.py"), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert made.returncode == 0, made.stderr
    for name in ocr.MODELS:
        assert (tmp_path / name).read_bytes() == (SHIPPED / name).read_bytes(), name
    assert (
        json.loads((tmp_path / "MANIFEST.json").read_text(encoding="utf-8"))["models"] == MANIFEST["models"]
    )
    check = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_ocr_models.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_the_engine_loads_the_shipped_models_by_default():
    engine = ocr.RapidEngine()
    assert engine.models == SHIPPED
    assert engine.model_paths() == tuple(SHIPPED / name for name in ocr.MODELS)


def test_a_missing_model_is_an_ocr_error(tmp_path):
    with pytest.raises(ocr.OcrError, match="PP-OCRv6_det_small.onnx is missing"):
        ocr.RapidEngine(models=tmp_path).model_paths()


@needs_engine
def test_the_shipped_models_keep_the_float_models_interface_and_metadata():
    import onnxruntime as ort

    for name in ocr.MODELS:
        source, shipped = (
            ort.InferenceSession(str(folder / name), providers=["CPUExecutionProvider"])
            for folder in (wheel_models(), SHIPPED)
        )
        # the recogniser's character list travels in its metadata
        assert shipped.get_modelmeta().custom_metadata_map == source.get_modelmeta().custom_metadata_map
        for mine, theirs in (
            (shipped.get_inputs(), source.get_inputs()),
            (shipped.get_outputs(), source.get_outputs()),
        ):
            assert [(t.name, t.type, t.shape) for t in mine] == [(t.name, t.type, t.shape) for t in theirs]


READ = """
import json, sys
sys.path.insert(0, "tests")
from pathlib import Path
from scans import render_pages, scan_pdf
from imrdesk.extract.ocr import RapidEngine
engine = RapidEngine(threads=1, models=Path(sys.argv[2]) if len(sys.argv) > 2 else None)
image = render_pages(scan_pdf(Path(sys.argv[1]), seed=4, pages=[0]), 200)[0]
print(json.dumps([[w.text, w.confidence, w.x0, w.top, w.x1, w.bottom] for w in engine.read(image)]))
"""


@needs_engine
def test_a_scan_reads_with_the_shipped_models_as_with_the_float_ones(corpus_dir):
    """A scanned page (438 words) read with the shipped models and with the wheel's float models they come
    from, in two processes side by side. The recogniser's float16 weights change nothing that matters; the
    detector's 8-bit weights move some line boxes by a few pixels, and a line cropped a little differently is
    read with a different confidence: the same words, boxes within a quarter of a line's height (12 pixels
    at 200 dpi), nearly all confidences within 0.01 and their mean within 0.005. Over the OCR benchmark's 53 pages the values
    read are as right (docs/ocr.md)."""
    letter = str(corpus_dir / "pdf" / "CM16-0213037.pdf")
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", READ, letter, *extra], cwd=ROOT, stdout=subprocess.PIPE, text=True
        )
        for extra in ((), (str(wheel_models()),))
    ]
    shipped, source = (json.loads(proc.communicate(timeout=600)[0]) for proc in procs)
    assert len(source) > 100
    assert [w[0] for w in shipped] == [w[0] for w in source]
    for a, b in zip(shipped, source, strict=True):
        assert max(abs(p - q) for p, q in zip(a[2:], b[2:], strict=True)) <= 12, (a, b)
    # a few words' confidences move, either way (9 of 438 by more than 0.01 here); on the whole, none
    moved = [(a, b) for a, b in zip(shipped, source, strict=True) if abs(a[1] - b[1]) > 0.01]
    assert len(moved) <= len(source) * 3 // 100, moved
    mean = [sum(w[1] for w in words) / len(words) for words in (shipped, source)]
    assert mean[0] == pytest.approx(mean[1], abs=0.005), mean
