"""OCR of one page image: words with boxes in PDF points and the engine's confidence. No Qt here.

A scanned page reaches the parsers as the same :class:`~imrdesk.extract.document.Word` objects a text layer
gives (:class:`OcrWord` adds the engine's confidence), laid out *upright and straight*: the page is turned
by quarter turns until its lines run left to right (0/90/180/270), and its small skew (a sheet fed at an
angle) is measured and taken out before the engine reads it. :class:`PageGeometry` remembers both, so the
boxes a value's provenance gives can be mapped back onto the page as it is shown (see
:meth:`PageGeometry.to_shown`).

The engine is RapidOCR running PP-OCR models on ONNX Runtime; docs/ocr.md says why it was chosen and how it
compares with Tesseract. The models are not the float32 ones inside the ``rapidocr`` wheel but the copies in
``resources/ocr/`` derived from them with smaller weights (8-bit for the detector, 16-bit floats for the
recogniser, turned back into float32 when loaded: ``scripts/make_ocr_models.py``), loaded on every platform
so that what is tested is what ships; nothing is downloaded. Anything else with a
``read(image) -> list[EngineWord]`` method can stand in for it (the benchmark plugs Tesseract in that way).
RapidOCR reads images through OpenCV, of which it needs only a few small functions: :mod:`.cv2_lite` gives
them in numpy, so the builds leave OpenCV (73 MB on Windows) out; see :func:`use_cv2_lite`.
"""

from __future__ import annotations

import math
import os
import re
import sys
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from PIL.Image import Image

from .document import Word, normalize

RENDER_DPI = 200  # pages are rendered for OCR at this resolution
MIN_DPI = 100  # a scan coarser than this is too small to read
MAX_SKEW = 5.0  # degrees of skew looked for either way
REAL_OPENCV = "IMRDESK_REAL_OPENCV"  # "1": let RapidOCR import the real OpenCV (the equivalence tests)


@dataclass
class OcrWord(Word):
    """A word read by OCR: ``confidence`` is the engine's, 0..1."""

    confidence: float = 1.0


@dataclass(frozen=True)
class EngineWord:
    """One word as an engine returns it: text, confidence 0..1, box in pixels of the image it was given."""

    text: str
    confidence: float
    x0: float
    top: float
    x1: float
    bottom: float


class Engine(Protocol):
    name: str

    def read(self, image: Image) -> list[EngineWord]:  # a grey (mode "L") page
        ...


class OcrError(Exception):
    """A page that cannot be read: ``code`` is a contract error code (``no_text_layer``)."""

    def __init__(self, message: str, code: str = "no_text_layer") -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# ----------------------------------------------------------------------------------------------- engine


def use_cv2_lite() -> bool:
    """Make ``import cv2`` give :mod:`.cv2_lite`, before RapidOCR is first imported; True when it does.

    On every platform, so that what the tests read with is what the builds ship (they leave OpenCV out).
    With ``IMRDESK_REAL_OPENCV=1`` in the environment the real OpenCV is left to be imported instead."""
    if os.environ.get(REAL_OPENCV) == "1":
        return False
    if "rapidocr" not in sys.modules:
        from . import cv2_lite

        sys.modules["cv2"] = cv2_lite
    return getattr(sys.modules.get("cv2"), "__name__", "") == __package__ + ".cv2_lite"


MODELS = ("PP-OCRv6_det_small.onnx", "PP-OCRv6_rec_small.onnx")  # detection, recognition


def models_dir() -> Path:
    """The folder of the shipped models (``resources/ocr``), found as imrdesk.ui.resources finds resources:
    under ``sys._MEIPASS`` when frozen, in the installed ``imrdesk.resources`` package, else in the checkout
    beside the package."""
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources" / "ocr"
    try:
        from importlib.resources import files

        probe = files("imrdesk.resources").joinpath("ocr").joinpath(MODELS[0])  # one name a call: 3.10, 3.11
        if isinstance(probe, Path) and probe.is_file():
            return probe.parent
    except ModuleNotFoundError:
        pass
    return Path(__file__).resolve().parents[2] / "resources" / "ocr"


class RapidEngine:
    """RapidOCR with the PP-OCR detection and recognition models of ``models`` (a folder holding
    :data:`MODELS`; the shipped ones by default), on ONNX Runtime (CPU)."""

    name = "rapidocr"

    def __init__(self, threads: int = 0, models: Path | None = None) -> None:
        self.threads = threads
        self.models = Path(models) if models is not None else models_dir()
        self._ocr = None
        self._lock = threading.Lock()

    @property
    def version(self) -> str:
        from importlib.metadata import version

        return f"rapidocr {version('rapidocr')}, onnxruntime {version('onnxruntime')}"

    def model_paths(self) -> tuple[Path, Path]:
        det, rec = (self.models / name for name in MODELS)
        for path in (det, rec):
            if not path.is_file():
                raise OcrError(f"The OCR model {path.name} is missing from {path.parent}.")
        return det, rec

    def _engine(self):
        if self._ocr is None:
            import logging

            use_cv2_lite()
            from rapidocr import RapidOCR

            det, rec = self.model_paths()
            params = {
                "Det.model_path": str(det),
                "Rec.model_path": str(rec),
                "Global.log_level": "critical",
                "Global.use_cls": False,  # whole pages are turned upright before; lines need no turning
                "EngineConfig.onnxruntime.intra_op_num_threads": self.threads or -1,
                "EngineConfig.onnxruntime.inter_op_num_threads": 1,
                # Lines of print are found as well on a page scaled to 960 pixels as on the whole page,
                # in a fifth of the time; the recogniser still reads each line from the full image.
                "Det.limit_type": "max",
                "Det.limit_side_len": 960,
            }
            self._ocr = RapidOCR(params=params)
            logging.getLogger("RapidOCR").setLevel(logging.CRITICAL)
        return self._ocr

    def read(self, image: Image) -> list[EngineWord]:
        import numpy as np

        rgb = np.asarray(image.convert("RGB"))
        with self._lock:
            result = self._engine()(rgb, use_cls=False, return_word_box=True)
        words: list[EngineWord] = []
        for line in result.word_results or ():
            for entry in line or ():
                if not isinstance(entry, (tuple, list)) or len(entry) != 3:
                    continue  # an empty line: RapidOCR's placeholder when nothing was recognised
                text, score, quad = entry
                xs = [float(p[0]) for p in quad]
                ys = [float(p[1]) for p in quad]
                if text and text.strip():
                    words.append(EngineWord(text, float(score), min(xs), min(ys), max(xs), max(ys)))
        return words


_DEFAULT: RapidEngine | None = None


def default_engine() -> RapidEngine:
    """The engine of this process, made once (loading the models takes about a second)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = RapidEngine()
    return _DEFAULT


def available() -> bool:
    """Whether the OCR engine is installed (it is a dependency; a stripped install may lack it)."""
    from importlib.util import find_spec

    return find_spec("rapidocr") is not None and find_spec("onnxruntime") is not None


# --------------------------------------------------------------------------------------------- geometry


@dataclass(frozen=True)
class PageGeometry:
    """How a page image was turned upright, and the scale between its pixels and the page's points.

    ``quarter``: anticlockwise quarter turns applied to the shown page to make it upright; ``skew``: the
    angle (degrees, anticlockwise as PIL's ``rotate``) then applied to straighten it; ``size``: the shown
    page in points; ``pixels``: the rendered image's size."""

    size: tuple[float, float]
    pixels: tuple[int, int]
    quarter: int = 0
    skew: float = 0.0

    @property
    def upright_pixels(self) -> tuple[int, int]:
        w, h = self.pixels
        return (h, w) if self.quarter % 2 else (w, h)

    @property
    def upright_size(self) -> tuple[float, float]:
        w, h = self.size
        return (h, w) if self.quarter % 2 else (w, h)

    @property
    def scale(self) -> tuple[float, float]:
        """Points per pixel, across and down (of the upright page)."""
        (pw, ph), (iw, ih) = self.upright_size, self.upright_pixels
        return pw / iw, ph / ih

    def _unskew(self, x: float, y: float) -> tuple[float, float]:
        """Upright straightened pixels -> upright pixels before straightening."""
        w, h = self.upright_pixels
        cx, cy = w / 2.0, h / 2.0
        a = math.radians(self.skew)
        dx, dy = x - cx, y - cy
        return cx + dx * math.cos(a) - dy * math.sin(a), cy + dx * math.sin(a) + dy * math.cos(a)

    def _unturn(self, x: float, y: float) -> tuple[float, float]:
        """Upright pixels -> pixels of the page as shown."""
        w, h = self.pixels
        k = self.quarter % 4
        if k == 1:  # turned anticlockwise once: shown (x, y) went to (y, w - x)
            return w - y, x
        if k == 2:
            return w - x, h - y
        if k == 3:
            return y, h - x
        return x, y

    def to_shown(self, box: Sequence[float]) -> list[float]:
        """A box in upright points (what the parsers see) -> the box that covers it on the shown page."""
        sx, sy = self.scale
        x0, top, x1, bottom = box[0] / sx, box[1] / sy, box[2] / sx, box[3] / sy
        corners = [
            self._unturn(*self._unskew(x, y)) for x, y in ((x0, top), (x1, top), (x0, bottom), (x1, bottom))
        ]
        w, h = self.pixels
        px, py = self.size[0] / w, self.size[1] / h
        xs = [min(max(c[0], 0.0), w) * px for c in corners]
        ys = [min(max(c[1], 0.0), h) * py for c in corners]
        return [round(min(xs), 2), round(min(ys), 2), round(max(xs), 2), round(max(ys), 2)]


# ------------------------------------------------------------------------------------------- upright


def _dark_points(image: Image, limit: int = 120_000):
    """Coordinates (x, y) of ink pixels of a grey image, thinned out to at most ``limit``."""
    import numpy as np

    pixels = np.asarray(image, dtype=np.uint8)
    threshold = min(128, int(pixels.mean()) - 40)
    ys, xs = np.nonzero(pixels < threshold)
    if len(xs) > limit:
        step = len(xs) // limit + 1
        xs, ys = xs[::step], ys[::step]
    return xs.astype(np.float64), ys.astype(np.float64)


def _line_score(xs, ys, angle: float, cx: float, cy: float) -> float:
    """How sharply ink falls into rows once turned by ``angle``: lines of text make tall, narrow peaks."""
    import numpy as np

    if len(xs) == 0:
        return 0.0
    a = math.radians(angle)
    rows = (ys - cy) * math.cos(a) - (xs - cx) * math.sin(a)
    hist = np.bincount((rows - rows.min()).astype(np.int64))
    return float((hist.astype(np.float64) ** 2).sum())


def measure_skew(image: Image, max_angle: float = MAX_SKEW) -> tuple[float, float]:
    """(angle, score) that straightens the lines of a grey page: ``image.rotate(angle)`` levels them.

    Projection profiles of the ink over candidate angles, coarse then fine (to 0.05°), on a half-size copy."""
    small = image.reduce(2) if min(image.size) > 800 else image
    xs, ys = _dark_points(small)
    cx, cy = small.size[0] / 2.0, small.size[1] / 2.0
    best, best_score = 0.0, _line_score(xs, ys, 0.0, cx, cy)
    for step, span in ((0.5, max_angle), (0.1, 0.5), (0.02, 0.1)):
        centre = best
        n = int(round(span / step))
        for k in range(-n, n + 1):
            angle = centre + k * step
            score = _line_score(xs, ys, angle, cx, cy)
            if score > best_score:
                best, best_score = angle, score
    return round(best, 2), best_score


def lines_run_across(image: Image) -> bool:
    """True when the page's text lines run across (0° or 180°), False when up or down (90°, 270°)."""
    small = image.reduce(4) if min(image.size) > 1200 else image
    _, across = measure_skew(small, 3.0)
    _, down = measure_skew(small.transpose(method=2), 3.0)  # ROTATE_90
    return across >= down


# ------------------------------------------------------------------------------------------------- page


@dataclass
class PageReading:
    page: int
    words: list[OcrWord]  # upright, straightened, in points
    geometry: PageGeometry
    seconds: float = 0.0

    @property
    def mean_confidence(self) -> float:
        return sum(w.confidence for w in self.words) / len(self.words) if self.words else 0.0


def _score(words: list[EngineWord]) -> float:
    """How well a reading went: confident characters read."""
    return sum(len(w.text) * w.confidence for w in words)


def read_page(
    image: Image,
    page: int,
    size: tuple[float, float],
    *,
    engine: Engine | None = None,
    native_dpi: float | None = None,
) -> PageReading:
    """Read one page image (shown as it lies, ``size`` in points). Raises :class:`OcrError` when the image
    is too small or too blurred to read; a page with no text at all gives no words."""
    import time

    from PIL import Image

    t0 = time.perf_counter()
    engine = engine or default_engine()
    grey = image.convert("L")
    dpi = min(grey.size[0] / size[0], grey.size[1] / size[1]) * 72.0
    if native_dpi is not None:
        dpi = min(dpi, native_dpi)
    if dpi < MIN_DPI:
        raise OcrError(
            f"Page {page} is a scanned image of only {dpi:.0f} dots per inch, too small to read "
            f"(OCR needs at least {MIN_DPI})."
        )
    quarter = 0 if lines_run_across(grey) else 1
    turned = grey.rotate(90 * quarter, expand=True) if quarter else grey
    skew, _ = measure_skew(turned)
    straight = turned.rotate(skew, resample=Image.Resampling.BILINEAR, fillcolor=255) if skew else turned
    straight = remove_rules(straight)
    found, seen = engine.read(straight), straight
    # Upside down, PP-OCR reads little and doubts it: read the page turned round too and keep the better.
    if not found or _score(found) < 0.8 * sum(len(w.text) for w in found):
        flipped = straight.rotate(180)
        other = engine.read(flipped)
        if _score(other) > _score(found):
            # turning the straightened page by 180° equals straightening the turned page: same skew
            found, seen, quarter = other, flipped, quarter + 2
    geometry = PageGeometry(size=size, pixels=grey.size, quarter=quarter % 4, skew=skew)
    sx, sy = geometry.scale
    words = []
    for w, heavy in zip(found, bold_words(seen, found), strict=True):
        for part in split_joined(w):
            text, folded = fold_accents(normalize(part.text).strip())
            if text:
                x0, top, x1, bottom = part.x0 * sx, part.top * sy, part.x1 * sx, part.bottom * sy
                confidence = min(part.confidence, MISREAD) if folded else part.confidence
                words.append(OcrWord(text, page, x0, top, x1, bottom, heavy, round(confidence, 4)))
    return PageReading(page, words, geometry, round(time.perf_counter() - t0, 3))


MISREAD = 0.9  # a word's confidence at most when the engine read it as something a letter does not print


def fold_accents(text: str) -> tuple[str, bool]:
    """The word without accents, and whether it had any. The letters are in English: an accent the engine
    reads ("DÉCISIONS", "CASÉ") is a speck or a stroke of the scan, and it would keep a heading or a label
    from being recognised; the word is doubted all the same."""
    if text.isascii():
        return text, False
    bare = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    bare = unicodedata.normalize("NFC", bare)
    return bare, bare != text


RULE_LENGTH = 0.04  # of the page's width: a dark run this long is a table rule or an underline, not type


def remove_rules(image: Image) -> Image:
    """The page with its table rules (long straight dark runs, across or down) painted white: OCR engines
    read a cell's border as a character ("|", "1", "[") next to its text."""
    import numpy as np
    from PIL import Image

    pixels = np.asarray(image, dtype=np.uint8)
    ink = pixels < 140
    length = max(20, int(RULE_LENGTH * max(pixels.shape)))
    rules = np.zeros_like(ink)
    for axis in (1, 0):
        runs = _long_runs(ink, length, axis)
        rules |= runs
    if not rules.any():
        return image
    # a rule scanned at 200 dpi is 2-4 pixels thick and blurred at its edges: widen the mask by a pixel
    grown = rules.copy()
    grown[1:, :] |= rules[:-1, :]
    grown[:-1, :] |= rules[1:, :]
    grown[:, 1:] |= rules[:, :-1]
    grown[:, :-1] |= rules[:, 1:]
    cleaned = pixels.copy()
    cleaned[grown] = 255
    return Image.fromarray(cleaned, mode="L")


def _long_runs(ink, length: int, axis: int):
    """Pixels of ``ink`` that lie in a run of at least ``length`` along ``axis`` (1: across, 0: down)."""
    import numpy as np

    a = ink if axis == 1 else ink.T
    padded = np.concatenate(
        [np.zeros((a.shape[0], 1), np.int32), np.cumsum(a, axis=1, dtype=np.int32)], axis=1
    )
    window = padded[:, length:] - padded[:, :-length]  # ink in each window of `length` pixels
    full = window == length
    # every pixel covered by a full window lies in a long run: spread each full window over its pixels
    spread = np.pad(full.astype(np.int32), ((0, 0), (length - 1, length - 1)))
    sums = np.concatenate(
        [np.zeros((a.shape[0], 1), np.int32), np.cumsum(spread, axis=1, dtype=np.int32)], axis=1
    )
    out = (sums[:, length:] - sums[:, :-length]) > 0
    return out if axis == 1 else out.T


_JOINS = (
    re.compile(r"(?<=[a-z]{2})(?=[A-Z][a-z]{2})"),  # "ClaimsAdministrator", "SouthCarolina"
    re.compile(r"(?<=[a-z]{3})(?=\d)"),  # "manipulation1"
    re.compile(r"(?<=\d{2})(?=[A-Z][a-z]{2})"),  # "2016Chronic"
    re.compile(r"(?<=^&)(?=[a-z]{3})"),  # "&manipulation"
    re.compile(r"(?<=[A-Za-z]{2},)(?=[A-Za-z]{2})"),  # "ISSUES,DECISIONS"
)


# Words of the letters' headings in capitals. PP-OCR runs capitals together more often than lower case
# ("WASMADE", "ANDRATIONALES"); a run of capitals that these words make up entirely is split into them.
HEADING_WORDS = frozenset(
    "HOW THE IMR FINAL DETERMINATION WAS MADE CLINICAL CASE SUMMARY ISSUES DECISIONS AND RATIONALES "
    "NOTICE OF INDEPENDENT MEDICAL REVIEW DOCUMENTS REVIEWED".split()
)


def _capital_cuts(text: str) -> list[int]:
    """Where a run of capitals splits into heading words (the fewest words), or [] when it does not."""
    if len(text) < 6 or not text.isalpha() or not text.isupper() or text in HEADING_WORDS:
        return []
    best: dict[int, list[int]] = {0: []}
    for end in range(1, len(text) + 1):
        options = [
            best[start] + [start] for start in best if start < end and text[start:end] in HEADING_WORDS
        ]
        if options:
            best[end] = min(options, key=len)
    cuts = best.get(len(text))
    return [c for c in cuts if c] if cuts and len(cuts) >= 2 else []


def split_joined(word: EngineWord) -> list[EngineWord]:
    """A word the engine ran together with its neighbour, split where English type would have had a space
    (a lower-case word then a capitalised one, a word then a number, a year then a word, heading words in
    capitals); the box is shared out by characters."""
    text = word.text
    cuts = {m.start() for pattern in _JOINS for m in pattern.finditer(text)}
    bounds = [0, *sorted(cuts), len(text)]
    for start, end in zip(bounds, bounds[1:], strict=False):  # each piece, its trailing punctuation aside
        piece = text[start:end].rstrip(",.:;")
        cuts.update(start + c for c in _capital_cuts(piece))
    cuts = sorted(cuts - {0, len(text)})
    if not cuts:
        return [word]
    parts, start = [], 0
    per_char = (word.x1 - word.x0) / max(1, len(word.text))
    for end in [*cuts, len(word.text)]:
        parts.append(
            EngineWord(
                word.text[start:end],
                word.confidence,
                word.x0 + start * per_char,
                word.top,
                word.x0 + end * per_char,
                word.bottom,
            )
        )
        start = end
    return parts


def stroke_width(pixels, word: EngineWord) -> float | None:
    """Mean width in pixels of the ink runs across a word's box (its stems): bold type has wider ones."""
    x0, x1 = max(0, int(word.x0)), min(pixels.shape[1], int(math.ceil(word.x1)))
    y0, y1 = max(0, int(word.top)), min(pixels.shape[0], int(math.ceil(word.bottom)))
    if x1 - x0 < 4 or y1 - y0 < 4:
        return None
    ink = pixels[y0:y1, x0:x1] < 110
    dark = int(ink.sum())
    runs = int((ink[:, 1:] & ~ink[:, :-1]).sum() + ink[:, 0].sum())
    if dark < 20 or runs == 0:
        return None
    return dark / runs


BOLD_RATIO = 1.3  # stems this much wider than the page's usual type read as bold


def bold_words(image: Image, words: list[EngineWord]) -> list[bool | None]:
    """Which words are in bold type, judged from their stems against the page's usual type (the median of
    its words): headings and labels are bold in these letters, and the parsers use that as they use a text
    layer's font names. None where a word is too small to judge."""
    import numpy as np

    pixels = np.asarray(image.convert("L"), dtype=np.uint8)
    widths = [stroke_width(pixels, w) for w in words]
    known = sorted(x for x in widths if x is not None)
    if len(known) < 5:
        return [None] * len(words)
    usual = known[len(known) // 2]
    return [None if x is None else x > BOLD_RATIO * usual for x in widths]


def sharpness(image: Image) -> float:
    """How steep the ink's edges of a grey page are: the mean of the steepest 5% of its grey-level steps (a
    clear 200 dpi scan: over 150; blurred by 2 pixels: under 40)."""
    import numpy as np
    from PIL import ImageFilter

    # a median filter first: a fax's specks are sharp whatever the type is
    pixels = np.asarray(image.convert("L").filter(ImageFilter.MedianFilter(3)), dtype=np.float32)
    gx = np.abs(np.diff(pixels, axis=1))
    gy = np.abs(np.diff(pixels, axis=0))
    edges = np.concatenate([gx[gx > 8].ravel(), gy[gy > 8].ravel()])
    if edges.size == 0:
        return 0.0
    top = np.sort(edges)[-max(1, edges.size // 20) :]
    return float(top.mean())
