"""Contours, boxes and polygons for :mod:`imrdesk.extract.cv2_lite`: what RapidOCR's text detector does
with its probability map (find the blobs, fit each a rotated box, score it by the map's mean inside it).

``findContours`` follows Suzuki and Abe's border following as OpenCV implements it (the same pixel marks,
the same start of each border, the same corners kept, the same order of contours), so its output is
identical. ``minAreaRect`` is OpenCV's rotating calipers over the convex hull (in OpenCV's order, which decides
between equal rectangles), in float32 step by step: most results are identical, the rest differ in the
last bit or two of a float. ``fillPoly`` is OpenCV's integer scan conversion (edges in 16.16 fixed point,
outlines by Bresenham); OpenCV 4.11 changed where a span ends and this follows it in most cases, so a
filled box may differ by a pixel on its edge (the detector only takes the mean of its map inside it).
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence

import numpy as np

RETR_LIST = 1
CHAIN_APPROX_NONE, CHAIN_APPROX_SIMPLE = 1, 2

_F32 = struct.Struct("f")


def _f(value: float) -> float:
    """``value`` rounded to float32: every float operation of OpenCV's C code is followed by one."""
    return _F32.unpack(_F32.pack(value))[0]


def _unsupported(what: str) -> NotImplementedError:
    return NotImplementedError(f"cv2_lite: {what} is not implemented (imrdesk's OCR does not use it)")


# ------------------------------------------------------------------------------------------ contours

_RIGHT, _NEW = 0x82, 0x02  # OpenCV's 8-bit marks: a border pixel whose right neighbour is background; seen


def _trace(flat: list[int], start: int, hole: bool, deltas: Sequence[int], every_point: bool) -> list[int]:
    """Follow one border from ``start`` (flat index) and mark it; its points as flat indices."""
    s_end = 0 if hole else 4
    s = s_end
    while True:  # the first neighbour with ink, turning clockwise from the background pixel
        s = (s - 1) & 7
        i1 = start + deltas[s]
        if flat[i1] != 0 or s == s_end:
            break
    if s == s_end:  # a lone pixel
        flat[start] = _RIGHT
        return [start]
    points: list[int] = []
    i3, prev_s = start, s ^ 4
    while True:
        s_end = s
        while s < 15:  # anticlockwise from where we came, to the next ink pixel
            s += 1
            i4 = i3 + deltas[s & 7]
            if flat[i4] != 0:
                break
        s &= 7
        if 0 < s <= s_end:  # the right neighbour (direction 0) was looked at and is background
            flat[i3] = _RIGHT
        elif flat[i3] == 1:
            flat[i3] = _NEW
        if s != prev_s or every_point:
            points.append(i3)
        prev_s = s
        if i4 == start and i3 == i1:
            return points
        i3 = i4
        s = (s + 4) & 7


def findContours(image: np.ndarray, mode: int, method: int, contours=None, hierarchy=None, offset=None):
    """(contours, hierarchy) of an 8-bit binary image, RETR_LIST (every border, outer and hole, no tree)."""
    img = np.asarray(image)
    if img.dtype != np.uint8 or img.ndim != 2:
        raise _unsupported("cv2.findContours of anything but a single-channel 8-bit image")
    if mode != RETR_LIST or method not in (CHAIN_APPROX_NONE, CHAIN_APPROX_SIMPLE) or offset is not None:
        raise _unsupported("cv2.findContours other than RETR_LIST with CHAIN_APPROX_SIMPLE or NONE")
    h, w = img.shape
    width = w + 2  # OpenCV frames the image with a pixel of background
    padded = np.zeros((h + 2, width), dtype=np.uint8)
    padded[1:-1, 1:-1] = img != 0
    # A border can start only where ink meets background along a row; which of those start one depends on
    # the marks left by borders already followed, so they are checked in raster order as OpenCV scans.
    ys, xs = np.nonzero(padded[1:-1, :-2] != padded[1:-1, 1:-1])
    ys, xs = ys + 1, xs + 1
    flat = padded.ravel().tolist()
    deltas = (1, 1 - width, -width, -1 - width, -1, width - 1, width, width + 1)
    every = method == CHAIN_APPROX_NONE
    found: list[list[int]] = []
    for i in (ys * width + xs).tolist():
        here, before = flat[i], flat[i - 1]
        if before == 0 and here == 1:
            found.append(_trace(flat, i, False, deltas, every))
        elif here == 0 and before in (1, _NEW):
            found.append(_trace(flat, i - 1, True, deltas, every))
    if not found:
        return (), None
    out = []
    for points in reversed(found):  # OpenCV lists the last border found first
        idx = np.asarray(points, dtype=np.int64)
        xy = np.stack([idx % width - 1, idx // width - 1], axis=1).astype(np.int32)
        out.append(xy.reshape(-1, 1, 2))
    n = len(out)
    tree = np.full((1, n, 4), -1, dtype=np.int32)
    tree[0, :-1, 0] = np.arange(1, n)
    tree[0, 1:, 1] = np.arange(0, n - 1)
    return tuple(out), tree


# ---------------------------------------------------------------------------------------- rotated box


def _hull(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Convex hull without collinear points, in the order of OpenCV's ``convexHull(clockwise=False)`` (which
    its minAreaRect uses): from the greatest point (x, then y) along the side of greater y, then turned round
    so that the points' indices in the input run up or down where they can (OpenCV's last step; it decides
    where the calipers start, and so which of two equal rectangles they keep)."""
    first: dict[tuple[float, float], int] = {}
    for i, p in enumerate(points):
        first.setdefault(p, i)
    pts = sorted(first)
    if len(pts) < 3:
        return pts

    def cross(o, a, b) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    upper: list[tuple[float, float]] = []
    for p in pts:
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) >= 0:
            upper.pop()
        upper.append(p)
    lower: list[tuple[float, float]] = []
    for p in reversed(pts):
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) >= 0:
            lower.pop()
        lower.append(p)
    hull = upper[:0:-1] + lower[:0:-1]  # from the greatest point back along the side of greater y
    return [hull[(k + _monotone_start([first[p] for p in hull])) % len(hull)] for k in range(len(hull))]


def _monotone_start(idx: list[int]) -> int:
    """Where OpenCV's convexHull starts its output: if a cyclic shift makes the input indices of the hull
    ascend (or descend) all the way round, at the smallest (or largest) of them; otherwise where it is."""
    n = len(idx)
    lo = hi = rises = 0
    for i in range(1, n):
        rises += idx[i - 1] < idx[i]
        if 1 < rises <= i - 2:
            break
        if idx[i] < idx[lo]:
            lo = i
        if idx[i] > idx[hi]:
            hi = i
    if abs(hi - lo) not in (1, n - 1) or 1 < rises < n - 2:
        return 0
    ascending = (hi + 1) % n == lo
    start = lo if ascending else hi
    if start == 0:
        return 0
    for i in range(n - 1):  # the shifted sequence must really be monotone
        a, b = idx[(start + i) % n], idx[(start + i + 1) % n]
        if ascending != (a < b):
            return 0
    return start


def _calipers(pts: list[tuple[float, float]]) -> tuple[float, float, float, float, float, float]:
    """OpenCV's rotating calipers for the least-area rectangle: (corner x, y, side1 x, y, side2 x, y)."""
    n = len(pts)
    vx, vy, inv = [0.0] * n, [0.0] * n, [0.0] * n
    left = bottom = right = top = 0
    left_x = right_x = pts[0][0]
    top_y = bottom_y = pts[0][1]
    for i in range(n):
        x0, y0 = pts[i]
        if x0 < left_x:
            left_x, left = x0, i
        if x0 > right_x:
            right_x, right = x0, i
        if y0 > top_y:
            top_y, top = y0, i
        if y0 < bottom_y:
            bottom_y, bottom = y0, i
        x1, y1 = pts[(i + 1) % n]
        dx, dy = x1 - x0, y1 - y0
        vx[i], vy[i] = _f(dx), _f(dy)
        inv[i] = _f(1.0 / math.sqrt(dx * dx + dy * dy))
    orientation = 0.0
    ax, ay = vx[n - 1], vy[n - 1]
    for i in range(n):
        convexity = ax * vy[i] - ay * vx[i]
        if convexity != 0:
            orientation = 1.0 if convexity > 0 else -1.0
            break
        ax, ay = vx[i], vy[i]
    base_a, base_b = orientation, 0.0
    seq = [bottom, right, top, left]
    minarea = 3.4028234663852886e38
    best = (0, 0.0, 0.0, 0.0, 0.0, 0)
    for _ in range(n):
        dps = (
            _f(_f(base_a * vx[seq[0]]) + _f(base_b * vy[seq[0]])),
            _f(_f(-base_b * vx[seq[1]]) + _f(base_a * vy[seq[1]])),
            _f(_f(-base_a * vx[seq[2]]) - _f(base_b * vy[seq[2]])),
            _f(_f(base_b * vx[seq[3]]) - _f(base_a * vy[seq[3]])),
        )
        main, maxcos = 0, _f(dps[0] * inv[seq[0]])
        for k in (1, 2, 3):
            cosalpha = _f(dps[k] * inv[seq[k]])
            if cosalpha > maxcos:
                main, maxcos = k, cosalpha
        p = seq[main]
        lead_x, lead_y = _f(vx[p] * inv[p]), _f(vy[p] * inv[p])
        base_a, base_b = ((lead_x, lead_y), (lead_y, -lead_x), (-lead_x, -lead_y), (-lead_y, lead_x))[main]
        seq[main] = (seq[main] + 1) % n
        dx, dy = _f(pts[seq[1]][0] - pts[seq[3]][0]), _f(pts[seq[1]][1] - pts[seq[3]][1])
        width = _f(_f(dx * base_a) + _f(dy * base_b))
        dx, dy = _f(pts[seq[2]][0] - pts[seq[0]][0]), _f(pts[seq[2]][1] - pts[seq[0]][1])
        height = _f(_f(-dx * base_b) + _f(dy * base_a))
        area = _f(width * height)
        if area <= minarea:
            minarea = area
            best = (seq[3], base_a, width, base_b, height, seq[0])
    left_i, a1, width, b1, height, bottom_i = best
    a2, b2 = -b1, a1
    c1 = _f(_f(a1 * pts[left_i][0]) + _f(pts[left_i][1] * b1))
    c2 = _f(_f(a2 * pts[bottom_i][0]) + _f(pts[bottom_i][1] * b2))
    idet = _f(1.0 / _f(_f(a1 * b2) - _f(a2 * b1)))
    px = _f(_f(_f(c1 * b2) - _f(c2 * b1)) * idet)
    py = _f(_f(_f(a1 * c2) - _f(a2 * c1)) * idet)
    return px, py, _f(a1 * width), _f(b1 * width), _f(a2 * height), _f(b2 * height)


def minAreaRect(points: np.ndarray) -> tuple[tuple[float, float], tuple[float, float], float]:
    """((centre x, y), (width, height), angle in degrees) of the least-area rectangle around the points."""
    arr = np.asarray(points)
    if arr.size == 0 or arr.size % 2:
        raise _unsupported("cv2.minAreaRect of anything but a list of 2-D points")
    flat = arr.reshape(-1, 2)
    if np.issubdtype(flat.dtype, np.integer):
        hull = [(float(x), float(y)) for x, y in _hull([(int(x), int(y)) for x, y in flat.tolist()])]
    else:
        hull = _hull([(_f(x), _f(y)) for x, y in flat.astype(np.float64).tolist()])
    n = len(hull)
    if n > 2:
        px, py, ux, uy, vx, vy = _calipers(hull)
        cx, cy = _f(px + _f(_f(ux + vx) * 0.5)), _f(py + _f(_f(uy + vy) * 0.5))
        width, height = _f(math.sqrt(ux * ux + uy * uy)), _f(math.sqrt(vx * vx + vy * vy))
        degrees = math.atan2(uy, ux) * 180 / math.pi
    elif n == 2:
        (x0, y0), (x1, y1) = hull
        cx, cy = _f(_f(x0 + x1) * 0.5), _f(_f(y0 + y1) * 0.5)
        dx, dy = _f(x1 - x0), _f(y1 - y0)
        width, height = _f(math.sqrt(dx * dx + dy * dy)), 0.0
        degrees = math.atan2(dy, dx) * 180 / math.pi
    else:
        (cx, cy), width, height, degrees = hull[0], 0.0, 0.0, 0.0
    # OpenCV 4.5.1 and later report the angle in [-90, 0): a quarter turn swaps width and height
    while degrees >= 0:
        degrees, width, height = degrees - 90, height, width
    while degrees < -90:
        degrees, width, height = degrees + 90, height, width
    return ((cx, cy), (width, height), _f(degrees))


def boxPoints(box) -> np.ndarray:
    """The four corners (float32, 4x2) of a rotated rectangle, in OpenCV's order."""
    (cx, cy), (w, h), angle = box
    cx, cy, w, h = _f(cx), _f(cy), _f(w), _f(h)
    rad = _f(angle) * math.pi / 180.0
    b, a = _f(_f(math.cos(rad)) * 0.5), _f(_f(math.sin(rad)) * 0.5)
    x0 = _f(_f(cx - _f(a * h)) - _f(b * w))
    y0 = _f(_f(cy + _f(b * h)) - _f(a * w))
    x1 = _f(_f(cx + _f(a * h)) - _f(b * w))
    y1 = _f(_f(cy - _f(b * h)) - _f(a * w))
    x2, y2 = _f(_f(2 * cx) - x0), _f(_f(2 * cy) - y0)
    x3, y3 = _f(_f(2 * cx) - x1), _f(_f(2 * cy) - y1)
    return np.array([[x0, y0], [x1, y1], [x2, y2], [x3, y3]], dtype=np.float32)


# ---------------------------------------------------------------------------------------- polygon fill

_SHIFT = 16
_ONE = 1 << _SHIFT


def _clip_line(w: int, h: int, p1: list[int], p2: list[int]) -> bool:
    """OpenCV's clipLine: move the ends of a segment onto the image; False when it misses it."""
    right, bottom = w - 1, h - 1
    x1, y1 = p1
    x2, y2 = p2
    c1 = (x1 < 0) + (x1 > right) * 2 + (y1 < 0) * 4 + (y1 > bottom) * 8
    c2 = (x2 < 0) + (x2 > right) * 2 + (y2 < 0) * 4 + (y2 > bottom) * 8
    if (c1 & c2) == 0 and (c1 | c2) != 0:
        if c1 & 12:
            a = 0 if c1 < 8 else bottom
            x1 += int((a - y1) * (x2 - x1) / (y2 - y1))
            y1 = a
            c1 = (x1 < 0) + (x1 > right) * 2
        if c2 & 12:
            a = 0 if c2 < 8 else bottom
            x2 += int((a - y2) * (x2 - x1) / (y2 - y1))
            y2 = a
            c2 = (x2 < 0) + (x2 > right) * 2
        if (c1 & c2) == 0 and (c1 | c2) != 0:
            if c1:
                a = 0 if c1 == 1 else right
                y1 += int((a - x1) * (y2 - y1) / (x2 - x1))
                x1, c1 = a, 0
            if c2:
                a = 0 if c2 == 1 else right
                y2 += int((a - x2) * (y2 - y1) / (x2 - x1))
                x2, c2 = a, 0
    p1[:] = [x1, y1]
    p2[:] = [x2, y2]
    return (c1 | c2) == 0


def _line(img: np.ndarray, p1: list[int], p2: list[int], color) -> None:
    """An 8-connected Bresenham line, drawn left to right as OpenCV's LineIterator does."""
    h, w = img.shape[:2]
    p1, p2 = list(p1), list(p2)
    if not (0 <= p1[0] < w and 0 <= p2[0] < w and 0 <= p1[1] < h and 0 <= p2[1] < h):
        if not _clip_line(w, h, p1, p2):
            return
    if p2[0] < p1[0]:
        p1, p2 = p2, p1
    x, y = p1
    dx, dy = p2[0] - p1[0], p2[1] - p1[1]
    sy = -1 if dy < 0 else 1
    dy = abs(dy)
    steep = dy > dx
    if steep:
        dx, dy = dy, dx
    err, plus, minus = dx - 2 * dy, 2 * dx, -2 * dy
    for _ in range(dx + 1):
        img[y, x] = color
        if err < 0:  # a step along the minor axis as well
            err += minus + plus
            if steep:
                x += 1
            else:
                y += sy
        else:
            err += minus
        if steep:
            y += sy
        else:
            x += 1


def fillPoly(img: np.ndarray, pts, color, lineType: int = 8, shift: int = 0, offset=None) -> np.ndarray:
    """Fill polygons with integer vertices in place (8-connected outlines, no anti-aliasing)."""
    if lineType not in (4, 8) or shift or offset is not None:
        raise _unsupported("cv2.fillPoly with anti-aliasing, shift or offset")
    if lineType == 4:
        raise _unsupported("cv2.fillPoly with 4-connected lines")
    h, w = img.shape[:2]
    value = color if np.isscalar(color) else np.asarray(color)[: img.shape[2] if img.ndim == 3 else 1]
    edges = []  # [y0, y1, x (16.16), dx (16.16)]
    for poly in pts if not isinstance(pts, np.ndarray) or pts.ndim == 3 else [pts]:
        v = np.asarray(poly).reshape(-1, 2).astype(np.int64).tolist()
        x0, y0 = v[-1][0] << _SHIFT, v[-1][1]
        for px, py in v:
            x1, y1 = px << _SHIFT, py
            t0 = [(x0 + (_ONE >> 1)) >> _SHIFT, y0]
            t1 = [(x1 + (_ONE >> 1)) >> _SHIFT, y1]
            _line(img, t0, t1, value)
            c0, c1 = [x0, y0], [x1, y1]
            if not (0 <= t0[0] < w and 0 <= t1[0] < w and 0 <= t0[1] < h and 0 <= t1[1] < h):
                _clip_line(w, h, t0, t1)
                if t0[1] != t1[1]:
                    c0, c1 = [t0[0] << _SHIFT, t0[1]], [t1[0] << _SHIFT, t1[1]]
            else:
                c0[0] += _ONE >> 1
                c1[0] += _ONE >> 1
            if y0 != y1:
                num, den = c1[0] - c0[0], c1[1] - c0[1]
                dx = abs(num) // abs(den) * (1 if (num < 0) == (den < 0) else -1)  # C's division
                if y0 < y1:
                    edges.append([y0, y1, c0[0] + (y0 - c0[1]) * dx, dx])
                else:
                    edges.append([y1, y0, c1[0] + (y1 - c1[1]) * dx, dx])
            x0, y0 = x1, y1
    _fill_edges(img, edges, value)
    return img


def _fill_edges(img: np.ndarray, edges: list[list[int]], value) -> None:
    """Scan conversion of the collected edges: between each pair of active edges, along each row."""
    if len(edges) < 2:
        return
    h, w = img.shape[:2]
    y_min = min(e[0] for e in edges)
    y_max = min(max(e[1] for e in edges), h)
    for y in range(max(y_min, 0) if y_min < 0 else y_min, y_max):
        xs = []
        for e in edges:
            if e[0] <= y < e[1]:
                xs.append(e[2] + (y - e[0]) * e[3])
        if y < 0:
            continue
        xs.sort()
        for k in range(0, len(xs) - 1, 2):
            # the right end as OpenCV 4.11 and later take it: a pixel the edge only touches stays out
            x1, x2 = xs[k] >> _SHIFT, (xs[k + 1] - 1) >> _SHIFT
            if x1 < w and x2 >= 0:
                img[y, max(x1, 0) : min(x2, w - 1) + 1] = value
