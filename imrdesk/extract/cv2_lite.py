"""The part of OpenCV's Python API that RapidOCR reaches when imrdesk reads a scan, in numpy.

Why: OpenCV is the largest part of the OCR engine in the Windows build (``cv2.pyd``, 73 MB, more than ONNX
Runtime and the models together), and RapidOCR calls only about twenty of its functions, on small images.
:mod:`imrdesk.extract.ocr` puts this module in ``sys.modules["cv2"]`` before RapidOCR is imported, on every
platform, so what the tests read is what ships.

Each function keeps OpenCV's signature and dtypes and gives the result of the OpenCV RapidOCR is tested
with (5.0): bit for bit where OpenCV works in integers (colour conversions, borders, bitwise ops,
``dilate``, ``findContours``, ``resize`` of 8-bit images, which reproduces its fixed-point arithmetic, and
``getPerspectiveTransform``, which follows its LU solve); to a float32 rounding or two for ``minAreaRect``
and ``boxPoints``; within one grey level on a few pixels for ``warpPerspective``; and a pixel on a box's
edge for ``fillPoly`` (OpenCV 4.11 changed its rule, followed in most cases). Only the arguments RapidOCR
passes are supported; anything else raises NotImplementedError naming what is missing, as do the functions
RapidOCR imports but imrdesk never reaches (image files, drawing). tests/test_cv2_lite.py compares each
function, and whole OCR readings, with the real OpenCV.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

import numpy as np

# the contours, boxes and polygons of the detector's map (longer: a module of their own)
from .cv2_shapes import boxPoints, fillPoly, findContours, minAreaRect  # noqa: F401

__version__ = "5.0.0-lite"  # the OpenCV it follows; this is not OpenCV

COLOR_BGRA2BGR, COLOR_RGBA2BGR, COLOR_RGB2BGR, COLOR_BGR2RGB, COLOR_GRAY2BGR = 1, 3, 4, 4, 8
INTER_NEAREST, INTER_LINEAR, INTER_CUBIC = 0, 1, 2
BORDER_CONSTANT, BORDER_REPLICATE = 0, 1
RETR_EXTERNAL, RETR_LIST = 0, 1
CHAIN_APPROX_NONE, CHAIN_APPROX_SIMPLE = 1, 2
ROTATE_90_CLOCKWISE, ROTATE_180, ROTATE_90_COUNTERCLOCKWISE = 0, 1, 2
IMREAD_COLOR = 1
FONT_HERSHEY_SIMPLEX = 0
LINE_8 = 8
DECOMP_LU = 0
WARP_INVERSE_MAP = 16


def _unsupported(what: str) -> NotImplementedError:
    return NotImplementedError(f"cv2_lite: {what} is not implemented (imrdesk's OCR does not use it)")


def _not_reached(name: str):
    def missing(*args, **kwargs):
        raise _unsupported(f"cv2.{name}")

    missing.__name__ = name
    return missing


# RapidOCR imports these for image files, URLs and drawing its results; imrdesk hands it pixels only.
imread = _not_reached("imread")
imdecode = _not_reached("imdecode")
imencode = _not_reached("imencode")
imwrite = _not_reached("imwrite")
putText = _not_reached("putText")
polylines = _not_reached("polylines")


def _u8(src: np.ndarray, name: str) -> np.ndarray:
    src = np.asarray(src)
    if src.dtype != np.uint8:
        raise _unsupported(f"cv2.{name} of a {src.dtype} image")
    return src


# ----------------------------------------------------------------------------------- pixels, no geometry


def cvtColor(src: np.ndarray, code: int) -> np.ndarray:
    """Grey to BGR and the channel swaps between RGB(A) and BGR."""
    src = np.asarray(src)
    if code == COLOR_GRAY2BGR:
        grey = src[..., 0] if src.ndim == 3 else src
        return np.ascontiguousarray(np.repeat(grey[..., None], 3, axis=2))
    if code == COLOR_RGB2BGR:  # the same swap as BGR2RGB
        return np.ascontiguousarray(src[..., 2::-1])
    if code == COLOR_BGRA2BGR:
        return np.ascontiguousarray(src[..., :3])
    if code == COLOR_RGBA2BGR:
        return np.ascontiguousarray(src[..., 2::-1])
    raise _unsupported(f"cv2.cvtColor code {code}")


def bitwise_not(src: np.ndarray) -> np.ndarray:
    return np.invert(np.asarray(src))


def bitwise_and(src1: np.ndarray, src2: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    out = np.bitwise_and(np.asarray(src1), np.asarray(src2))
    if mask is not None:
        keep = np.asarray(mask) != 0
        out = np.where(keep[..., None] if out.ndim == 3 else keep, out, 0).astype(out.dtype)
    return out


def add(src1: np.ndarray, src2: np.ndarray) -> np.ndarray:
    """Saturating addition of two 8-bit images."""
    a, b = _u8(src1, "add"), _u8(src2, "add")
    return np.minimum(a.astype(np.int16) + b, 255).astype(np.uint8)


def rotate(src: np.ndarray, rotateCode: int) -> np.ndarray:
    turns = {ROTATE_90_CLOCKWISE: -1, ROTATE_180: 2, ROTATE_90_COUNTERCLOCKWISE: 1}
    if rotateCode not in turns:
        raise _unsupported(f"cv2.rotate code {rotateCode}")
    return np.ascontiguousarray(np.rot90(np.asarray(src), turns[rotateCode]))


def copyMakeBorder(
    src: np.ndarray, top: int, bottom: int, left: int, right: int, borderType: int, dst=None, value=0
) -> np.ndarray:
    src = np.asarray(src)
    pad = [(top, bottom), (left, right)] + [(0, 0)] * (src.ndim - 2)
    if borderType == BORDER_REPLICATE:
        return np.pad(src, pad, mode="edge")
    if borderType != BORDER_CONSTANT:
        raise _unsupported(f"cv2.copyMakeBorder border {borderType}")
    out = np.pad(src, pad, mode="constant")
    given = np.asarray(value if value is not None else 0, dtype=np.float64).ravel()
    values = np.concatenate([given, np.zeros(4)])[:4] if given.size > 1 else np.repeat(given, 4)
    if np.any(values):
        frame = np.ones(out.shape[:2], dtype=bool)
        frame[top : top + src.shape[0], left : left + src.shape[1]] = False
        out[frame] = values[: out.shape[2]] if out.ndim == 3 else values[0]
    return out


def dilate(src: np.ndarray, kernel: np.ndarray, *args, **kwargs) -> np.ndarray:
    """Dilation by a rectangle of ones, anchored at its centre; pixels outside the image are ignored."""
    if args or kwargs:
        raise _unsupported("cv2.dilate's anchor, iterations or border")
    src, kernel = np.asarray(src), np.asarray(kernel)
    if not np.all(kernel):
        raise _unsupported("cv2.dilate with a kernel that is not all ones")
    kh, kw = kernel.shape
    ay, ax = kh // 2, kw // 2
    h, w = src.shape[:2]
    out = src.copy()
    for dy in range(-ay, kh - ay):
        for dx in range(-ax, kw - ax):
            if dy == 0 and dx == 0:
                continue
            # out[y, x] = max(out[y, x], src[y + dy, x + dx]) wherever y + dy, x + dx lie inside
            ys, yd = slice(max(dy, 0), h + min(dy, 0)), slice(max(-dy, 0), h + min(-dy, 0))
            xs, xd = slice(max(dx, 0), w + min(dx, 0)), slice(max(-dx, 0), w + min(-dx, 0))
            np.maximum(out[yd, xd], src[ys, xs], out=out[yd, xd])
    return out


def mean(src: np.ndarray, mask: np.ndarray | None = None) -> tuple[float, float, float, float]:
    """Per-channel mean (over the mask's non-zero pixels), as OpenCV's 4-tuple."""
    src = np.asarray(src, dtype=np.float64)
    pixels = src.reshape(-1, src.shape[2]) if src.ndim == 3 else src.reshape(-1, 1)
    if mask is not None:
        pixels = pixels[np.asarray(mask).ravel() != 0]
    means = [float(v) for v in pixels.mean(axis=0)] if len(pixels) else [0.0] * pixels.shape[1]
    return tuple((means + [0.0, 0.0, 0.0, 0.0])[:4])  # type: ignore[return-value]


# ------------------------------------------------------------------------------------------------ resize


def _linear_taps(src: int, dst: int, clamp_start: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """OpenCV's source index and 11-bit fixed-point weights of each output pixel of a linear resize.

    OpenCV computes the position in float32 and rounds each weight to 1/2048; across a row it moves a pixel
    that falls before the first source pixel onto it (weights 1, 0), down the columns it keeps the
    position and clamps the row index instead (measured: this is what makes the border rows bit-exact)."""
    pos = ((np.arange(dst, dtype=np.float64) + 0.5) * (src / dst) - 0.5).astype(np.float32)
    first = np.floor(pos).astype(np.int64)
    frac = (pos - first).astype(np.float32)
    if clamp_start:
        frac[first < 0] = 0
        first[first < 0] = 0
        frac[first >= src - 1] = 0
        first[first >= src - 1] = src - 1
    w1 = np.rint(frac * np.float32(2048)).astype(np.int32)
    w0 = np.rint((np.float32(1) - frac).astype(np.float32) * np.float32(2048)).astype(np.int32)
    return np.clip(first, 0, src - 1), np.clip(first + 1, 0, src - 1), np.stack([w0, w1])


def resize(
    src: np.ndarray, dsize: Sequence[int], dst=None, fx: float = 0, fy: float = 0, interpolation: int = 1
) -> np.ndarray:
    """Bilinear resize of an 8-bit image to ``dsize`` (width, height), bit-exact with OpenCV's."""
    src = _u8(src, "resize")
    if interpolation != INTER_LINEAR or not dsize or fx or fy:
        raise _unsupported("cv2.resize other than INTER_LINEAR to a given size")
    width, height = int(dsize[0]), int(dsize[1])
    h, w = src.shape[:2]
    if (width, height) == (w, h):
        return src.copy()
    if src.ndim == 3 and src.shape[2] == 3 and _grey(src):
        # a grey page handed over as RGB (how imrdesk reads a scan): one channel is enough
        return np.repeat(resize(src[:, :, 0], dsize)[:, :, None], 3, axis=2)
    x0, x1, wx = _linear_taps(w, width, True)
    y0, y1, wy = _linear_taps(h, height, False)
    img = src if src.ndim == 3 else src[:, :, None]
    # across: exact integer sums (pixel * 2048), of the rows needed; down: OpenCV's vector code, which drops
    # 4 bits, keeps the high half of each 16-bit product and rounds the last 2 bits
    needed = np.unique(np.concatenate([y0, y1]))
    part = img[needed]
    rows = np.take(part, x0, axis=1).astype(np.int32)
    rows *= wx[0][None, :, None]
    rows += np.take(part, x1, axis=1).astype(np.int32) * wx[1][None, :, None]
    rows >>= 4
    where = np.searchsorted(needed, y0), np.searchsorted(needed, y1)
    out = np.take(rows, where[0], axis=0)
    out *= wy[0][:, None, None]
    out >>= 16
    low = np.take(rows, where[1], axis=0)
    low *= wy[1][:, None, None]
    low >>= 16
    out += low
    out += 2
    out >>= 2
    out = np.clip(out, 0, 255).astype(np.uint8)
    return out if src.ndim == 3 else out[:, :, 0]


def _grey(img: np.ndarray) -> bool:
    return bool(np.array_equal(img[:, :, 0], img[:, :, 1]) and np.array_equal(img[:, :, 0], img[:, :, 2]))


# ----------------------------------------------------------------------------- perspective transforms


def _lu_solve(a: list[list[float]], b: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting in OpenCV's order of operations (its DECOMP_LU)."""
    n = len(a)
    for i in range(n):
        k = max(range(i, n), key=lambda j: (abs(a[j][i]), -j))
        if abs(a[k][i]) < np.finfo(np.float64).eps * 10:
            return [0.0] * n  # OpenCV leaves a singular system's answer at zero
        if k != i:
            a[i], a[k] = a[k], a[i]
            b[i], b[k] = b[k], b[i]
        d = -1.0 / a[i][i]
        for j in range(i + 1, n):
            alpha = a[j][i] * d
            for c in range(i + 1, n):
                a[j][c] += alpha * a[i][c]
            b[j] += alpha * b[i]
    for i in range(n - 1, -1, -1):
        s = b[i]
        for c in range(i + 1, n):
            s -= a[i][c] * b[c]
        b[i] = s / a[i][i]
    return b


def getPerspectiveTransform(src: np.ndarray, dst: np.ndarray, solveMethod: int = DECOMP_LU) -> np.ndarray:
    """The 3x3 (float64) homography taking the four ``src`` points to the four ``dst`` points."""
    s = np.asarray(src, dtype=np.float32).reshape(4, 2)
    d = np.asarray(dst, dtype=np.float32).reshape(4, 2)
    a = [[0.0] * 8 for _ in range(8)]
    b = [0.0] * 8
    for i in range(4):
        sx, sy, dx, dy = (float(v) for v in (s[i, 0], s[i, 1], d[i, 0], d[i, 1]))
        a[i][0:3] = [sx, sy, 1.0]
        a[i + 4][3:6] = [sx, sy, 1.0]
        a[i][6], a[i][7] = -_f32(sx * dx), -_f32(sy * dx)  # float32 products, as OpenCV's Point2f
        a[i + 4][6], a[i + 4][7] = -_f32(sx * dy), -_f32(sy * dy)
        b[i], b[i + 4] = dx, dy
    return np.array([*_lu_solve(a, b), 1.0], dtype=np.float64).reshape(3, 3)


def invert(src: np.ndarray, dst=None, flags: int = DECOMP_LU) -> tuple[float, np.ndarray]:
    """(1.0, inverse) of a 3x3 matrix by its cofactors, as OpenCV does for small matrices; (0.0, zeros)
    when it is singular."""
    m = np.asarray(src, dtype=np.float64)
    if m.shape != (3, 3):
        raise _unsupported("cv2.invert of anything but a 3x3 matrix")
    (a, b, c), (d, e, f), (g, h, i) = m.tolist()
    det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g)
    if det == 0:
        return 0.0, np.zeros((3, 3), dtype=np.float64)
    r = 1.0 / det
    inv = [
        [(e * i - f * h) * r, (c * h - b * i) * r, (b * f - c * e) * r],
        [(f * g - d * i) * r, (a * i - c * g) * r, (c * d - a * f) * r],
        [(d * h - e * g) * r, (b * g - a * h) * r, (a * e - b * d) * r],
    ]
    return 1.0, np.array(inv, dtype=np.float64)


def _cubic_weights(t: np.ndarray) -> list[np.ndarray]:
    """Keys' bicubic weights (A = -0.75) of the four taps around a fractional offset ``t``."""
    a = -0.75
    w0 = ((a * (t + 1) - 5 * a) * (t + 1) + 8 * a) * (t + 1) - 4 * a
    w1 = ((a + 2) * t - (a + 3)) * t * t + 1
    w2 = ((a + 2) * (1 - t) - (a + 3)) * (1 - t) * (1 - t) + 1
    return [w0, w1, w2, 1 - w0 - w1 - w2]


def warpPerspective(
    src: np.ndarray,
    M: np.ndarray,
    dsize: Sequence[int],
    dst=None,
    flags: int = INTER_LINEAR,
    borderMode: int = BORDER_CONSTANT,
    borderValue=0,
) -> np.ndarray:
    """Bicubic perspective warp of an 8-bit image with replicated borders (how RapidOCR cuts out a line).

    OpenCV 4.x looked the weights up for the position rounded to 1/32 pixel; OpenCV 5 (measured) takes the
    exact position and weighs in floating point, as here."""
    src = _u8(src, "warpPerspective")
    if flags & ~WARP_INVERSE_MAP != INTER_CUBIC or borderMode != BORDER_REPLICATE:
        raise _unsupported("cv2.warpPerspective other than INTER_CUBIC with BORDER_REPLICATE")
    m = np.asarray(M, dtype=np.float64)
    if not flags & WARP_INVERSE_MAP:
        m = invert(m)[1]
    width, height = int(dsize[0]), int(dsize[1])
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    w = m[2, 0] * xs + m[2, 1] * ys + m[2, 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        fx = (m[0, 0] * xs + m[0, 1] * ys + m[0, 2]) / w
        fy = (m[1, 0] * xs + m[1, 1] * ys + m[1, 2]) / w
    limit = float(np.iinfo(np.int32).max) / 2
    fx, fy = np.nan_to_num(fx, posinf=limit, neginf=-limit), np.nan_to_num(fy, posinf=limit, neginf=-limit)
    x0, y0 = np.floor(fx), np.floor(fy)
    wx, wy = _cubic_weights(fx - x0), _cubic_weights(fy - y0)
    x0, y0 = x0.astype(np.int64) - 1, y0.astype(np.int64) - 1  # the 4x4 neighbourhood starts up and left
    # only the part of the page under the output is looked at (a line cut out of a page)
    h, w_ = src.shape[:2]
    ylo, yhi = int(np.clip(y0.min(), 0, h - 1)), int(np.clip(y0.max() + 4, 1, h))
    xlo, xhi = int(np.clip(x0.min(), 0, w_ - 1)), int(np.clip(x0.max() + 4, 1, w_))
    part = src[ylo:yhi, xlo:xhi]
    if part.ndim == 3 and part.shape[2] == 3 and _grey(part):
        planes = [part[:, :, 0]]  # a grey page as RGB: the three channels come out alike
    else:
        planes = [part] if part.ndim == 2 else [part[:, :, c] for c in range(part.shape[2])]
    y0, x0 = y0 - ylo, x0 - xlo
    h, w_ = part.shape[:2]
    taps = [(np.clip(y0 + ky, 0, h - 1) * w_, wy[ky]) for ky in range(4)]
    cols = [(np.clip(x0 + kx, 0, w_ - 1), wx[kx]) for kx in range(4)]
    outs = []
    for plane in planes:
        flat = plane.ravel()
        acc = np.zeros((height, width), dtype=np.float64)
        for row, wr in taps:
            for col, wc in cols:
                acc += flat.take(row + col) * (wr * wc)
        outs.append(np.clip(np.rint(acc), 0, 255).astype(np.uint8))
    if src.ndim == 2:
        return outs[0]
    return np.ascontiguousarray(np.stack(outs * (3 if len(outs) == 1 else 1), axis=2))


# ---------------------------------------------------------------------------------------------- floats

_F32 = struct.Struct("f")


def _f32(value: float) -> float:
    """``value`` rounded to float32, as a C ``float`` holds it."""
    return _F32.unpack(_F32.pack(value))[0]
