"""imrdesk.extract.cv2_lite against the real OpenCV, on a scanned page of a shared letter.

The real OpenCV is installed as RapidOCR's dependency (the builds leave it out); these tests skip only where
it is truly absent, and never in CI. Integer operations must agree bit for bit; the float ones to a float32
rounding or two; a warp to one grey level. Then whole OCR readings: the same scans read with each must give
the same words, boxes within a pixel and confidences within 0.01.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scans import render_pages, scan_pdf

from imrdesk.extract import cv2_lite as lite
from imrdesk.extract.ocr import REAL_OPENCV

ROOT = Path(__file__).resolve().parent.parent
LETTER = "CM16-0213037.pdf"  # as tests/test_ocr.py


def _real_cv2():
    """The real OpenCV module, even where the OCR already put cv2_lite in its place in this process."""
    if importlib.util.find_spec("cv2") is None:
        if os.environ.get("CI"):
            pytest.fail("OpenCV (RapidOCR's dependency) is missing in CI: the comparison cannot run")
        pytest.skip("the real OpenCV is not installed")
    current = sys.modules.get("cv2")
    if current is not lite:
        return importlib.import_module("cv2")
    del sys.modules["cv2"]
    try:
        return importlib.import_module("cv2")
    finally:
        sys.modules["cv2"] = lite


@pytest.fixture(scope="module")
def cv2():
    return _real_cv2()


@pytest.fixture(scope="module")
def page(corpus_dir) -> np.ndarray:
    """The first page of a shared letter as a fax-like scan, as RapidOCR gets it (RGB of a grey page)."""
    image = render_pages(scan_pdf(corpus_dir / "pdf" / LETTER, seed=2, pages=[0]), 200)[0]
    return np.asarray(image.convert("RGB"))


@pytest.fixture(scope="module")
def ink(cv2, page) -> np.ndarray:
    """A detector-like binary map: the page's ink at 960 pixels, spread by a 2x2 dilation."""
    small = cv2.resize(page, (736, 960))
    return cv2.dilate((small[:, :, 0] < 140).astype(np.uint8), np.ones((2, 2), np.uint8))


def test_resize_is_bit_exact(cv2, page):
    rng = np.random.default_rng(1)
    colour = page.copy()
    colour[:, :, 1] = np.roll(page[:, :, 1], 3, axis=1)  # channels that differ take the general path
    for image, size in (
        (page, (1536, 2000)),  # RapidOCR's preprocessing of a 200 dpi page
        (page[:2000, :1536], (736, 960)),  # its detector's input
        (colour, (1000, 1300)),
        (page[:, :, 0], (850, 1100)),
    ):
        assert np.array_equal(lite.resize(image, size), cv2.resize(image, size)), size
    for _ in range(12):  # lines of text scaled to the recogniser's 48 pixels, up and down
        y, x = int(rng.integers(0, 2100)), int(rng.integers(0, 1000))
        crop = page[y : y + int(rng.integers(8, 90)), x : x + int(rng.integers(5, 600))]
        size = (int(rng.integers(3, 900)), 48)
        assert np.array_equal(lite.resize(crop, size), cv2.resize(crop, size)), (crop.shape, size)


def test_pixel_operations_are_bit_exact(cv2, page, ink):
    part = page[300:420, 200:500]
    grey = np.ascontiguousarray(part[:, :, 0])
    rgba = np.dstack([part, grey])
    for code in ("COLOR_GRAY2BGR",):
        assert np.array_equal(
            lite.cvtColor(grey, getattr(lite, code)), cv2.cvtColor(grey, getattr(cv2, code))
        )
    for code in ("COLOR_RGB2BGR", "COLOR_BGR2RGB"):
        assert np.array_equal(
            lite.cvtColor(part, getattr(lite, code)), cv2.cvtColor(part, getattr(cv2, code))
        )
    for code in ("COLOR_BGRA2BGR", "COLOR_RGBA2BGR"):
        assert np.array_equal(
            lite.cvtColor(rgba, getattr(lite, code)), cv2.cvtColor(rgba, getattr(cv2, code))
        )
    for code in ("ROTATE_90_CLOCKWISE", "ROTATE_180", "ROTATE_90_COUNTERCLOCKWISE"):
        assert np.array_equal(lite.rotate(part, getattr(lite, code)), cv2.rotate(part, getattr(cv2, code)))
    assert np.array_equal(
        lite.copyMakeBorder(part, 7, 7, 0, 0, lite.BORDER_CONSTANT, value=(0, 0, 0)),
        cv2.copyMakeBorder(part, 7, 7, 0, 0, cv2.BORDER_CONSTANT, value=(0, 0, 0)),
    )
    assert np.array_equal(lite.bitwise_not(grey), cv2.bitwise_not(grey))
    assert np.array_equal(lite.bitwise_and(part, part, mask=grey), cv2.bitwise_and(part, part, mask=grey))
    assert np.array_equal(lite.add(part, part), cv2.add(part, part))
    kernel = np.array([[1, 1], [1, 1]])  # RapidOCR's dilation kernel
    binary = (page[::3, ::3, 0] < 128).astype(np.uint8)
    assert np.array_equal(lite.dilate(binary, kernel), cv2.dilate(binary, kernel))
    scores = (ink * 0.7 + 0.1).astype(np.float32)
    assert lite.mean(scores, ink) == pytest.approx(cv2.mean(scores, ink), abs=1e-9)


def test_contours_are_identical(cv2, ink):
    expected, expected_tree = cv2.findContours(ink * 255, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    got, tree = lite.findContours(ink * 255, lite.RETR_LIST, lite.CHAIN_APPROX_SIMPLE)
    assert len(got) == len(expected) > 50
    assert all(np.array_equal(a, b) and a.dtype == b.dtype for a, b in zip(got, expected, strict=True))
    assert np.array_equal(tree, expected_tree)


def test_boxes_agree_to_float_rounding(cv2, ink):
    contours, _ = cv2.findContours(ink * 255, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    identical = 0
    for contour in contours:
        (c, s, a), (ce, se, ae) = lite.minAreaRect(contour), cv2.minAreaRect(contour)
        assert c == pytest.approx(ce, abs=1e-3) and s == pytest.approx(se, abs=1e-3), contour.tolist()
        assert a == pytest.approx(ae, abs=1e-3) or s[0] == s[1] == 0, contour.tolist()
        identical += (c, s, a) == (ce, se, ae)
        corners = cv2.boxPoints((ce, se, ae))
        assert np.allclose(lite.boxPoints((ce, se, ae)), corners, atol=1e-4)
        assert lite.boxPoints((ce, se, ae)).dtype == corners.dtype
    assert identical > 0.8 * len(contours)


def test_box_masks_and_scores(cv2, ink):
    """fillPoly as RapidOCR's box scoring uses it: the mean of the map inside each box."""
    contours, _ = cv2.findContours(ink * 255, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    scores = ink.astype(np.float32) * 0.8 + 0.1
    same = 0
    for contour in contours:
        box = cv2.boxPoints(cv2.minAreaRect(contour))
        x0, y0 = np.floor(box.min(axis=0)).astype(int).clip(0)
        x1, y1 = np.ceil(box.max(axis=0)).astype(int)
        x1, y1 = min(x1, ink.shape[1] - 1), min(y1, ink.shape[0] - 1)
        shape = (y1 - y0 + 1, x1 - x0 + 1)
        quad = (box - [x0, y0]).reshape(1, -1, 2).astype(np.int32)
        a, b = np.zeros(shape, np.uint8), np.zeros(shape, np.uint8)
        cv2.fillPoly(a, quad, 1)
        lite.fillPoly(b, quad, 1)
        same += np.array_equal(a, b)
        assert np.count_nonzero(a != b) <= 2 + a.shape[0] // 8, quad.tolist()
        region = scores[y0 : y1 + 1, x0 : x1 + 1]
        assert lite.mean(region, b)[0] == pytest.approx(cv2.mean(region, a)[0], abs=0.02)
    assert same > 0.8 * len(contours)


def test_perspective_crop(cv2, page):
    rng = np.random.default_rng(4)
    for _ in range(10):
        x, y = float(rng.uniform(50, 1000)), float(rng.uniform(50, 2000))
        w, h = float(rng.uniform(40, 600)), float(rng.uniform(15, 45))
        tilt = float(rng.uniform(-4, 4))
        quad = np.array([[x, y], [x + w, y + tilt], [x + w, y + h + tilt], [x, y + h]], dtype=np.float32)
        size = (int(w), int(h))
        target = np.array([[0, 0], [size[0], 0], [size[0], size[1]], [0, size[1]]], dtype=np.float32)
        m, expected_m = lite.getPerspectiveTransform(quad, target), cv2.getPerspectiveTransform(quad, target)
        assert np.allclose(m, expected_m, rtol=1e-12, atol=1e-12) and m.dtype == expected_m.dtype
        assert np.allclose(lite.invert(m)[1], cv2.invert(m)[1], rtol=1e-12, atol=1e-12)
        got = lite.warpPerspective(page, m, size, borderMode=lite.BORDER_REPLICATE, flags=lite.INTER_CUBIC)
        want = cv2.warpPerspective(page, m, size, borderMode=cv2.BORDER_REPLICATE, flags=cv2.INTER_CUBIC)
        diff = np.abs(got.astype(int) - want)
        assert got.shape == want.shape and got.dtype == want.dtype
        assert diff.max() <= 1 and np.count_nonzero(diff) <= 0.01 * diff.size


def test_what_imrdesk_never_reaches_says_so():
    for name in ("imread", "imdecode", "imencode", "imwrite", "putText", "polylines"):
        with pytest.raises(NotImplementedError, match=rf"cv2\.{name}\b"):
            getattr(lite, name)("x")
    with pytest.raises(NotImplementedError, match="cv2.resize"):
        lite.resize(np.zeros((4, 4), np.uint8), (2, 2), interpolation=lite.INTER_CUBIC)


READ = """
import json, sys
sys.path.insert(0, "tests")
from pathlib import Path
from scans import ScanStyle, render_pages, scan_pdf
from imrdesk.extract.ocr import RapidEngine
engine, pages = RapidEngine(threads=1), []
for seed, style, page in ((1, ScanStyle(), 0), (6, ScanStyle(angle=0.8), 1)):
    image = render_pages(scan_pdf(Path(sys.argv[1]), seed=seed, style=style, pages=[page]), 200)[0]
    words = engine.read(image)
    pages.append([[w.text, w.confidence, w.x0, w.top, w.x1, w.bottom] for w in words])
print(json.dumps({"cv2": sys.modules["cv2"].__name__, "pages": pages}))
"""


def test_ocr_reads_the_same_with_either(cv2, corpus_dir):
    """Two scanned pages read by RapidOCR over cv2_lite and over OpenCV, in two processes side by side."""
    pytest.importorskip("rapidocr")
    letter = str(corpus_dir / "pdf" / LETTER)
    procs = {}
    for real in (False, True):
        env = {k: v for k, v in os.environ.items() if k != REAL_OPENCV}
        if real:
            env[REAL_OPENCV] = "1"
        procs[real] = subprocess.Popen(
            [sys.executable, "-c", READ, letter], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
        )
    out = {real: json.loads(proc.communicate(timeout=600)[0]) for real, proc in procs.items()}
    assert out[False]["cv2"] == "imrdesk.extract.cv2_lite" and out[True]["cv2"] == "cv2"
    for lite_words, real_words in zip(out[False]["pages"], out[True]["pages"], strict=True):
        assert len(real_words) > 100
        assert [w[0] for w in lite_words] == [w[0] for w in real_words]
        for a, b in zip(lite_words, real_words, strict=True):
            assert a[1] == pytest.approx(b[1], abs=0.01), (a, b)
            assert max(abs(p - q) for p, q in zip(a[2:], b[2:], strict=True)) <= 1, (a, b)
