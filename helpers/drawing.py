"""Your own digit as an array: a drawing pad, a photo upload, and a reader for image files.

    >>> pad = DrawingPad()
    >>> pad  # doctest: +SKIP
    >>> pad.image() is None  # nothing drawn yet
    True
    >>> upload = photo_upload()  # doctest: +SKIP
    >>> for name, data in uploaded_images(upload):  # doctest: +SKIP
    ...     photo = read_image(data, name)

The pad is an anywidget widget (Colab has anywidget preinstalled, and it turns on Colab's custom
widget manager by itself). After every stroke it sends the drawing to Python as a PNG, so
``pad.image()`` in the next cell holds what you drew. Where the pad cannot be interactive
(GitHub's notebook viewer, nbconvert, CI, no anywidget), the same output shows a picture of the
pad and a sentence that says what to do instead. Both ways give 2-D ``uint8`` greyscale arrays,
dark ink on light paper, of any size: the preprocessing that makes them look like MNIST comes next.
"""

from __future__ import annotations

import base64
import functools
import io
import warnings
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from PIL import Image, ImageOps, UnidentifiedImageError

from .widgets import WIDGET_MIMETYPE, _png

MAX_SIDE = 1000  # pixels on a photo's long side; plenty for one digit, and fast to process
WHAT_TO_UPLOAD = "Upload a PNG or JPEG photo of one digit, written dark on light paper."
HEIC_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1")  # an iPhone photo's bytes 8-12
ANYWIDGET_MISSING = (
    "the package anywidget is missing. Install it (`pip install anywidget`, then restart the "
    "kernel), or upload a photo of your digit with helpers.photo_upload() instead"
)

_ESM = """
function render({ model, el }) {
  const size = model.get("size");
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = size;
  canvas.style.width = `${size}px`;  // the CSS keeps it square, and narrower on a small screen
  canvas.className = "mnist-pad-canvas";
  canvas.setAttribute("aria-label", "drawing pad: draw one digit");
  const ctx = canvas.getContext("2d");
  let sent = model.get("png");  // the drawing this view last sent or showed
  let last = null;              // where the pen is while a stroke goes on

  const blank = () => {
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, size, size);
  };
  const show = (url) => {
    blank();
    if (!url) return;
    const picture = new Image();
    picture.onload = () => {
      if (model.get("png") === url) ctx.drawImage(picture, 0, 0, size, size);
    };
    picture.src = url;
  };
  const send = (url) => {
    sent = url;
    model.set("png", url);
    model.save_changes();
    canvas.dataset.sent = String(Number(canvas.dataset.sent || 0) + 1);  // for tests to wait on
  };
  const at = (event) => {
    const box = canvas.getBoundingClientRect();
    return [(event.clientX - box.left) * size / box.width, (event.clientY - box.top) * size / box.height];
  };
  const dot = ([x, y]) => {
    ctx.fillStyle = model.get("ink");
    ctx.beginPath();
    ctx.arc(x, y, model.get("brush") / 2, 0, 2 * Math.PI);
    ctx.fill();
  };
  const line = (from, to) => {
    ctx.strokeStyle = model.get("ink");
    ctx.lineWidth = model.get("brush");
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.beginPath();
    ctx.moveTo(...from);
    ctx.lineTo(...to);
    ctx.stroke();
  };

  canvas.addEventListener("pointerdown", (event) => {
    if (event.pointerType === "mouse" && event.button !== 0) return;
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    last = at(event);
    dot(last);
  });
  canvas.addEventListener("pointermove", (event) => {
    if (last === null) return;
    event.preventDefault();
    const point = at(event);
    line(last, point);
    last = point;
  });
  const finish = () => {
    if (last === null) return;
    last = null;
    send(canvas.toDataURL("image/png"));
  };
  canvas.addEventListener("pointerup", finish);
  canvas.addEventListener("pointercancel", finish);
  canvas.addEventListener("lostpointercapture", finish);

  const clear = document.createElement("button");
  clear.className = "mnist-pad-clear";
  clear.textContent = "Clear";
  clear.addEventListener("click", () => {
    blank();
    send("");
  });
  const hint = document.createElement("span");
  hint.className = "mnist-pad-hint";
  hint.textContent = "Draw one digit, large and centred, then run the next cell.";
  const row = document.createElement("div");
  row.className = "mnist-pad-row";
  row.append(clear, hint);

  const onChange = () => {
    const url = model.get("png");
    if (url !== sent) {
      sent = url;
      show(url);
    }
  };
  model.on("change:png", onChange);
  show(sent);
  el.classList.add("mnist-pad");
  el.append(canvas, row);
  return () => model.off("change:png", onChange);
}
export default { render };
"""

_CSS = """
.mnist-pad { display: inline-flex; flex-direction: column; gap: 6px; padding: 4px; }
.mnist-pad-canvas {
  max-width: 100%; height: auto; touch-action: none; user-select: none; cursor: crosshair;
  background: #ffffff; border: 1px solid #888888; border-radius: 4px;
}
.mnist-pad-row { display: flex; align-items: center; gap: 10px; }
.mnist-pad-clear { padding: 2px 12px; font-size: 13px; cursor: pointer; }
.mnist-pad-hint { color: #666666; font-size: 12px; }
"""


class ImageReadError(ValueError):
    """Bytes that are not an image this course can read (a PDF, a text file, an empty file)."""


class DrawingPad:
    """A square pad to draw a digit on with the mouse, a pen or a finger.

    >>> pad = DrawingPad()
    >>> pad  # put it last in a cell and draw  # doctest: +SKIP
    >>> pad.set_image(np.full((280, 280), 255, dtype=np.uint8))
    >>> pad.image() is None  # a blank page counts as nothing drawn
    True
    """

    def __init__(self, size: int = 280, brush: int = 20) -> None:
        self.size, self.brush = size, brush
        self._png = ""  # the drawing, where there is no widget to hold it
        self.widget, self.unavailable = _pad_widget(size, brush)

    @property
    def png(self) -> str:
        """The drawing as a PNG data URL, or "" for an empty pad."""
        return self.widget.png if self.widget is not None else self._png

    @png.setter
    def png(self, url: str) -> None:
        if self.widget is not None:
            self.widget.png = url
        else:
            self._png = url

    def image(self) -> np.ndarray | None:
        """What is drawn, as a 2-D uint8 array (dark ink on white); None while the pad is blank.

        >>> pad = DrawingPad(size=100)
        >>> pad.set_image(np.pad(np.zeros((20, 20), dtype=np.uint8), 40, constant_values=255))
        >>> pad.image().shape, int((pad.image() < 128).sum())
        ((100, 100), 400)
        """
        if not self.png:
            return None
        drawing = read_image(_data_url_bytes(self.png), "the drawing pad")
        return None if drawing.min() == drawing.max() else drawing

    def set_image(self, image: np.ndarray) -> None:
        """Show ``image`` (2-D greyscale, 0-255, dark ink on white) on the pad, stretched to fit.

        >>> pad = DrawingPad(size=140)
        >>> one = np.full((28, 28), 255, dtype=np.uint8)
        >>> one[4:24, 13:15] = 0
        >>> pad.set_image(one)
        >>> pad.image().shape, pad.png[:22]
        ((140, 140), 'data:image/png;base64,')
        """
        pixels = np.asarray(image)
        if pixels.ndim != 2:
            raise ValueError(f"set_image needs a 2-D greyscale array; got shape {pixels.shape}.")
        picture = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
        self.png = _data_url(picture.resize((self.size, self.size)))

    def clear(self) -> None:
        """Wipe the pad, here and in the browser.

        >>> pad = DrawingPad()
        >>> pad.clear()
        >>> pad.png
        ''
        """
        self.png = ""

    def on_draw(self, callback: Callable[[np.ndarray | None], Any]) -> None:
        """Call ``callback(pad.image())`` after every stroke and every Clear.

        >>> DrawingPad().on_draw(lambda image: print(image is None))  # doctest: +SKIP
        """
        if self.widget is not None:
            self.widget.observe(lambda change: callback(self.image()), names="png")

    def describe(self) -> str:
        """The sentence shown where the pad cannot be interactive.

        >>> DrawingPad().describe()[:30]
        'Drawing pad, 280×280 pixels: d'
        """
        if self.widget is None:
            return f"Drawing pad, not interactive here: {self.unavailable}."
        return (
            f"Drawing pad, {self.size}×{self.size} pixels: draw one digit with the mouse, a pen "
            "or a finger, then run the next cell (interactive in JupyterLab, Jupyter Notebook "
            "and Colab; a static picture elsewhere)"
        )

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict | tuple[dict, dict]:
        bundle = {
            "text/plain": self.describe(),
            "image/png": base64.b64encode(pad_png(self.image())).decode("ascii"),
        }
        if self.widget is None:
            return bundle
        bundle[WIDGET_MIMETYPE], metadata = _widget_view(self.widget)
        return (bundle, metadata) if metadata else bundle


def pad_png(image: np.ndarray | None) -> bytes:
    """A picture of the pad (blank, or with ``image`` on it), as PNG bytes.

    >>> pad_png(None)[:4]
    b'\\x89PNG'
    """
    figure = Figure(figsize=(2.8, 3.0), dpi=80)
    ax = figure.add_subplot()
    blank = image is None
    ax.imshow(np.full((28, 28), 255) if blank else image, cmap="gray", vmin=0, vmax=255)
    if blank:
        message = "draw a digit here\nin JupyterLab\nor Colab"
        ax.text(0.5, 0.5, message, color="grey", ha="center", va="center", transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title("drawing pad", fontsize=11)
    return _png(figure)


def photo_upload() -> Any:
    """A button to upload one photo (an ``ipywidgets.FileUpload``); read it with uploaded_images.

    >>> upload = photo_upload()
    >>> upload.accept, upload.multiple
    ('image/*', False)
    """
    import ipywidgets as widgets

    return widgets.FileUpload(accept="image/*", multiple=False, description="Upload a photo")


def uploaded_images(upload: Any) -> list[tuple[str, bytes]]:
    """The ``(name, bytes)`` of each uploaded file; [] before anything is uploaded.

    Takes a FileUpload (ipywidgets 7 or 8), its ``value``, or the dict that Colab's
    ``google.colab.files.upload()`` returns (name → bytes), which also takes photos over 1 MB.

    >>> uploaded_images({"seven.png": {"metadata": {"name": "seven.png"}, "content": b"abc"}})
    [('seven.png', b'abc')]
    >>> uploaded_images(({"name": "seven.jpg", "content": memoryview(b"abc")},))
    [('seven.jpg', b'abc')]
    """
    value = getattr(upload, "value", upload)
    if not value:
        return []
    if isinstance(value, Mapping):  # ipywidgets 7 (name -> {"metadata", "content"}), or Colab's
        return [(str(name), _file_bytes(item)) for name, item in value.items()]
    return [(str(item["name"]), _file_bytes(item)) for item in value]  # ipywidgets 8


def read_image(data: bytes, name: str = "the image") -> np.ndarray:
    """Decode image bytes (PNG, JPEG, ...) into a 2-D uint8 greyscale array, upright.

    Transparent pixels become white paper, a phone's EXIF orientation is honoured, and photos
    are shrunk to at most MAX_SIDE pixels on their long side.

    >>> buffer = io.BytesIO()
    >>> Image.new("RGB", (40, 30), "white").save(buffer, format="PNG")
    >>> read_image(buffer.getvalue()).shape
    (30, 40)
    >>> read_image(b"%PDF-1.7 ...", "seven.pdf")
    Traceback (most recent call last):
    helpers.drawing.ImageReadError: seven.pdf is a PDF, not an image. Upload a PNG or JPEG photo of one digit, written dark on light paper.
    """
    data = bytes(data)
    if not data:
        raise ImageReadError(f"{name} is empty (0 bytes). {WHAT_TO_UPLOAD}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # it is shrunk anyway
            with Image.open(io.BytesIO(data)) as picture:
                picture.draft("L", (MAX_SIDE, MAX_SIDE))  # JPEG only: decode at a reduced scale
                grey = _greyscale(_upright(picture))
    except Image.DecompressionBombError as error:
        raise ImageReadError(
            f"{name} is too large to read safely ({error}). Take a smaller photo, or crop it "
            "to the digit."
        ) from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise ImageReadError(f"{name} {_not_an_image(data)}. {WHAT_TO_UPLOAD}") from error
    grey.thumbnail((MAX_SIDE, MAX_SIDE))
    return np.array(grey, dtype=np.uint8)


def _pad_widget(size: int, brush: int) -> tuple[Any, str]:
    """The pad's widget and "", or None and why there is none."""
    try:
        import anywidget
    except ImportError:
        return None, ANYWIDGET_MISSING
    try:
        return _widget_class(anywidget)(size=size, brush=brush), ""
    except Exception as error:  # a broken install gets the fallback and a sentence, not a traceback
        return None, (
            f"anywidget is installed but does not work ({type(error).__name__}: {error}). Restart "
            "the kernel; if that does not help, reinstall it (`pip install --force-reinstall "
            "anywidget`), or upload a photo of your digit with helpers.photo_upload() instead"
        )


@functools.cache
def _widget_class(anywidget: ModuleType) -> type:
    """The pad's AnyWidget subclass, made once, and only where anywidget imports."""
    import traitlets

    class DrawingPadWidget(anywidget.AnyWidget):
        _esm = _ESM
        _css = _CSS
        png = traitlets.Unicode("").tag(sync=True)
        size = traitlets.Int(280).tag(sync=True)
        brush = traitlets.Int(20).tag(sync=True)
        ink = traitlets.Unicode("#111111").tag(sync=True)

    return DrawingPadWidget


def _widget_view(widget: Any) -> tuple[dict, dict]:
    """The widget's entry in a mime bundle, and the metadata anywidget adds (in Colab: its manager).

    anywidget 0.9 on ipywidgets 7 has no _repr_mimebundle_ (ipywidgets 7 displays itself another
    way), so the entry is then made here, as ipywidgets 7 makes it.
    """
    represent = getattr(widget, "_repr_mimebundle_", None)
    shown = represent() if represent is not None else None
    data, metadata = shown if isinstance(shown, tuple) else (shown or {}, {})
    if WIDGET_MIMETYPE in data:
        return data[WIDGET_MIMETYPE], metadata or {}
    return {"version_major": 2, "version_minor": 0, "model_id": widget.model_id}, {}


def _data_url(picture: Image.Image) -> str:
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _data_url_bytes(url: str) -> bytes:
    return base64.b64decode(url.partition(",")[2])


def _file_bytes(item: Any) -> bytes:
    """One file's content: a dict with "content" (ipywidgets), or the bytes themselves (Colab)."""
    return bytes(item["content"] if isinstance(item, Mapping) else item)


def _upright(picture: Image.Image) -> Image.Image:
    """The picture turned the way the phone held it (EXIF orientation)."""
    try:
        return ImageOps.exif_transpose(picture)
    except Exception:  # a damaged EXIF block must not stop an otherwise good photo
        return picture


def _greyscale(picture: Image.Image) -> Image.Image:
    """Mode "L": transparency composited onto white paper, 16-bit pixels scaled to 0-255."""
    if picture.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in picture.info:
        rgba = picture.convert("RGBA")
        return Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba).convert("L")
    if picture.mode in ("I", "F") or picture.mode.startswith("I;16"):
        pixels = np.asarray(picture, dtype=np.float64)
        pixels = pixels / 257 if pixels.max() > 255 else pixels
        return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    return picture.convert("L")


def _not_an_image(data: bytes) -> str:
    """What the bytes seem to be, for an error message that helps."""
    if data.startswith(b"%PDF"):
        return "is a PDF, not an image"
    if data[4:8] == b"ftyp" and data[8:12] in HEIC_BRANDS:
        return (
            "is a HEIC photo (the iPhone's usual format), which cannot be read here. Send it "
            "as JPEG instead (on the iPhone: Settings > Camera > Formats > Most Compatible), "
            "or upload a screenshot of it"
        )
    start = data[:1024]
    if b"\x00" not in start and len(start.decode("utf-8", "ignore").encode()) > 0.9 * len(start):
        return "is a text file, not an image"
    return "is not an image that can be read here, or it is damaged"
