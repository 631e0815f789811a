"""LBP-TOP (Zhao and Pietikainen, TPAMI 2007): local binary patterns on the three orthogonal planes
of a clip (XY: each frame; XT: each row over time; YT: each column over time), uniform patterns, one
L1-normalised histogram per plane, concatenated.

Vectorised over the whole volume: per plane, P bilinear samples on a circle (an ellipse when the two
radii of the plane differ) taken for every pixel at once. With equal radii the codes equal, code for
code, scikit-image's `local_binary_pattern(slice, P, R, method="nri_uniform")` applied slice by
slice (same sample coordinates, rounded to 5 decimals; same interpolation with zero outside; same
comparison); tests/test_baselines.py checks it. Histograms count pixels whose circle lies inside
the volume (the usual LBP-TOP border rule)."""
from __future__ import annotations

from functools import lru_cache

import numpy as np


@lru_cache(maxsize=None)
def uniform_map(p: int) -> np.ndarray:
    """Raw P-bit code (bit i = neighbour i >= centre) -> non-rotation-invariant uniform label in
    0 .. P(P-1)+2; transitions are counted without wrap-around, as scikit-image does."""
    out = np.zeros(2 ** p, np.int64)
    for code in range(2 ** p):
        bits = [(code >> i) & 1 for i in range(p)]
        changes = sum(bits[i] != bits[i + 1] for i in range(p - 1))
        if changes > 2:
            out[code] = p * (p - 1) + 2
            continue
        ones = sum(bits)
        if ones == 0:
            out[code] = 0
        elif ones == p:
            out[code] = p * (p - 1) + 1
        else:
            first_one = bits.index(1)
            first_zero = bits.index(0)
            rot = ones - first_zero if first_one == 0 else p - first_one
            out[code] = 1 + (ones - 1) * p + rot
    return out


def n_labels(p: int) -> int:
    return p * (p - 1) + 3


CHUNK = 200_000  # pixels per chunk


def _chunks(images: np.ndarray):
    """Slices of about 2e5 pixels, so the temporaries stay in cache (2x faster than all at once)."""
    step = max(1, CHUNK // max(1, images.shape[1] * images.shape[2]))
    return (images[i:i + step] for i in range(0, len(images), step))


def lbp_planes(images: np.ndarray, p: int, r_row: float, r_col: float, margin: tuple[int, int] = (0, 0)) -> np.ndarray:
    """Uniform LBP codes of a stack of 2-D images (K, H, W) -> (K, H - 2 m_r, W - 2 m_c) int64, for
    the pixels at least `margin` = (m_r, m_c) from the border (0: every pixel, as scikit-image)."""
    raw = [_lbp_chunk(c, p, r_row, r_col, margin) for c in _chunks(np.asarray(images))]
    return uniform_map(p)[np.concatenate(raw)]


def _count(codes: np.ndarray, p: int) -> np.ndarray:
    """np.bincount of the codes; uint8 codes are counted two at a time as uint16 (bincount's cost is
    converting every element to intp, so this halves it)."""
    flat = codes.ravel()
    if flat.dtype != np.uint8 or len(flat) < 2:
        return np.bincount(flat, minlength=2 ** p)[:2 ** p]
    pairs = np.bincount(flat[:len(flat) // 2 * 2].view(np.uint16), minlength=65536).reshape(256, 256)
    out = pairs.sum(0) + pairs.sum(1)            # high byte and low byte of each pair
    if len(flat) % 2:
        out[flat[-1]] += 1
    return out[:2 ** p]


def plane_histogram(images: np.ndarray, p: int, r_row: float, r_col: float, margin: tuple[int, int]) -> np.ndarray:
    """The uniform-pattern histogram (counts) of lbp_planes(...), without mapping every pixel: the raw
    P-bit codes are counted, then the 2^P counts are summed into the uniform labels."""
    counts = np.zeros(2 ** p)
    for c in _chunks(np.asarray(images)):
        counts += _count(_lbp_chunk(c, p, r_row, r_col, margin), p)
    return np.bincount(uniform_map(p), weights=counts, minlength=n_labels(p))


def _lbp_chunk(img: np.ndarray, p: int, r_row: float, r_col: float, margin: tuple[int, int]) -> np.ndarray:
    """Raw P-bit codes (bit i: neighbour i >= centre) of the pixels inside the margin.

    Each image is handled as one flat row-major run, so that a sample of every pixel is the image
    shifted by one flat offset: each operation runs over the kept rows of an image contiguously, with
    the per-row and per-column weights broadcast (2x faster than 3-D slices). The columns of the
    margin get codes from the neighbouring row and are cut away at the end."""
    k, h, w = img.shape
    mr, mc = margin
    ang = 2 * np.pi * np.arange(p, dtype=np.double) / p
    coords = np.round(np.vstack([-r_row * np.sin(ang), r_col * np.cos(ang)]).T, 5)
    on_grid = [float(dr).is_integer() and float(dc).is_integer() for dr, dc in coords]
    exact = img.dtype if np.issubdtype(img.dtype, np.integer) else np.float64
    reach_r, reach_c = (int(np.ceil(np.abs(coords[:, j]).max())) for j in (0, 1))
    # zero outside the image (scikit-image's mode "constant", cval 0), unless no kept pixel looks there
    pad = 0 if (mr >= reach_r and mc >= reach_c) else max(reach_r, reach_c) + 1
    hh, ww = h + 2 * pad, w + 2 * pad
    n = hh * ww
    lo, hi = (pad + mr) * ww, (pad + h - mr) * ww       # the kept rows, as a flat span of each image
    ext = np.zeros(k * n + 2 * ww, exact)              # one row of zeros before and after the images
    ext[ww:ww + k * n].reshape(k, hh, ww)[:, pad:pad + h, pad:pad + w] = img
    fext = ext if all(on_grid) else ext.astype(np.float64)   # interpolated samples need float64

    def kept(a: np.ndarray, off: int, start: int = ww) -> np.ndarray:   # a[pixel + off], kept rows of each image
        return np.lib.stride_tricks.as_strided(a[start + lo + off:], (k, hi - lo), (n * a.itemsize, a.itemsize),
                                               writeable=False)

    centre, fcentre = kept(ext, 0), kept(fext, 0)
    rows = np.repeat(np.arange(mr, h - mr, dtype=np.double), ww)    # each kept position's row and column,
    cols = np.tile(np.arange(-pad, w + pad, dtype=np.double), hh)   # in the image's own coordinates
    code = np.zeros((k, hi - lo), np.uint8 if p <= 8 else np.int64)
    buf, buf2, gebuf = np.empty(code.shape), np.empty(code.shape), np.empty(code.shape, bool)
    bits = np.empty(code.shape, np.uint8)
    across: dict[float, np.ndarray] = {}   # dc -> the interpolation along columns, over whole images
    for i, (dr, dc) in enumerate(coords):
        r0, c0, r1, c1 = int(np.floor(dr)), int(np.floor(dc)), int(np.ceil(dr)), int(np.ceil(dc))
        if on_grid[i]:              # interpolation returns the pixel itself: compare the pixels
            ge = np.greater_equal(kept(ext, r0 * ww + c0), centre, out=gebuf)
        else:   # weights per row and per column, computed as scikit-image does per pixel (bit for bit)
            if dc not in across:    # shared by the samples above and below with this dc
                fc = (cols + dc) - np.floor(cols + dc)
                a = np.multiply(1 - fc, fext[ww + c0:ww + c0 + k * n].reshape(k, n))
                a += np.multiply(fc, fext[ww + c1:ww + c1 + k * n].reshape(k, n), out=np.empty_like(a))
                across[dc] = a.ravel()
            fr = (rows + dr) - np.floor(rows + dr)
            value = np.multiply(1 - fr, kept(across[dc], r0 * ww, 0), out=buf)
            value += np.multiply(fr, kept(across[dc], r1 * ww, 0), out=buf2)
            ge = np.greater_equal(value, fcentre, out=gebuf)    # the same test as value - centre >= 0
        if code.dtype == np.uint8:
            code |= np.left_shift(ge.view(np.uint8), i, out=bits)
        else:
            code |= ge.astype(code.dtype) << i
    return code.reshape(k, h - 2 * mr, ww)[:, :, pad + mc:pad + w - mc]


def lbp_top(volume: np.ndarray, p: int = 8, radii: tuple[float, float, float] = (3, 3, 3)) -> np.ndarray:
    """(T, H, W) clip -> (3 * (P(P-1)+3),) float64: XY, XT, YT histograms, each L1-normalised.
    radii = (R_X, R_Y, R_T) in pixels and frames (the paper's {3,3,3})."""
    v = np.asarray(volume)
    t, h, w = v.shape
    rx, ry, rt = radii
    mx, my, mt = (int(np.ceil(r)) for r in radii)
    if t <= 2 * mt or h <= 2 * my or w <= 2 * mx:
        raise ValueError(f"a {t} x {h} x {w} clip is too small for radii {radii}")
    jobs = [(v[mt:t - mt], p, ry, rx, (my, mx)),                       # XY: each frame
            (v.transpose(1, 0, 2)[my:h - my], p, rt, rx, (mt, mx)),      # XT: each row
            (v.transpose(2, 0, 1)[mx:w - mx], p, rt, ry, (mt, my))]      # YT: each column
    hists = [plane_histogram(*a) for a in jobs]
    return np.concatenate([hh / max(hh.sum(), 1) for hh in hists])
