"""Your own digit: uploads in both ipywidgets formats, image files of every kind a student sends,
and a drawing pad that works with anywidget, in Colab, and without anywidget at all."""

from __future__ import annotations

import base64
import builtins
import datetime
import io
import sys
import types

import numpy as np
import pytest
from PIL import Image

import helpers
from helpers import drawing
from helpers.drawing import DrawingPad, ImageReadError, read_image, uploaded_images
from helpers.widgets import WIDGET_MIMETYPE


def encode(image: Image.Image, format: str = "PNG", **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format, **options)
    return buffer.getvalue()


def seven(width: int = 60, height: int = 40) -> np.ndarray:
    """Dark ink on white: a bar along the top and a stroke down the right, like a 7."""
    pixels = np.full((height, width), 255, dtype=np.uint8)
    pixels[2:6, 5 : width - 5] = 0
    pixels[2 : height - 2, width - 9 : width - 5] = 0
    return pixels


def data_url(image: Image.Image) -> str:
    return "data:image/png;base64," + base64.b64encode(encode(image)).decode("ascii")


# --- uploads -------------------------------------------------------------------------------------


def test_uploaded_images_reads_ipywidgets_7_values():
    value = {
        "seven.png": {
            "metadata": {"name": "seven.png", "type": "image/png", "size": 3, "lastModified": 0},
            "content": b"abc",
        }
    }
    upload = types.SimpleNamespace(value=value)
    assert uploaded_images(upload) == [("seven.png", b"abc")]


def test_uploaded_images_reads_ipywidgets_8_values():
    value = (
        {
            "name": "seven.jpg",
            "type": "image/jpeg",
            "size": 3,
            "content": memoryview(b"xyz"),
            "last_modified": datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
        },
    )
    images = uploaded_images(types.SimpleNamespace(value=value))
    assert images == [("seven.jpg", b"xyz")] and type(images[0][1]) is bytes


def test_uploaded_images_reads_colab_files_upload():
    assert uploaded_images({"IMG_0042.JPG": b"\xff\xd8"}) == [("IMG_0042.JPG", b"\xff\xd8")]


@pytest.mark.parametrize("value", [{}, (), None])
def test_nothing_uploaded_is_an_empty_list(value):
    assert uploaded_images(types.SimpleNamespace(value=value)) == []


def test_photo_upload_takes_one_image_and_starts_empty():
    upload = helpers.photo_upload()
    assert (upload.accept, upload.multiple) == ("image/*", False)
    assert uploaded_images(upload) == []


def test_photo_upload_round_trip_with_the_installed_ipywidgets():
    upload = helpers.photo_upload()
    data = encode(Image.fromarray(seven()))
    if isinstance(upload.value, dict):  # ipywidgets 7: the value follows data and metadata
        upload.metadata, upload.data = [{"name": "seven.png"}], [data]
        upload._counter += 1
    else:
        now = datetime.datetime.now(datetime.UTC)
        file = {"name": "seven.png", "type": "image/png", "size": len(data), "last_modified": now}
        upload.value = ({**file, "content": memoryview(data)},)
    [(name, content)] = uploaded_images(upload)
    assert name == "seven.png" and np.array_equal(read_image(content, name), seven())


# --- reading image files -------------------------------------------------------------------------


def test_greyscale_png_reads_back_exactly():
    assert np.array_equal(read_image(encode(Image.fromarray(seven()))), seven())


def test_colour_jpeg_becomes_greyscale_of_the_same_shape():
    rgb = np.stack([seven()] * 3, axis=-1)
    image = read_image(encode(Image.fromarray(rgb), "JPEG", quality=95))
    assert image.shape == (40, 60) and image.dtype == np.uint8
    assert np.abs(image.astype(int) - seven()).mean() < 8


def test_transparent_background_becomes_white_paper():
    rgba = np.zeros((40, 60, 4), dtype=np.uint8)  # transparent black everywhere...
    rgba[10:20, 10:20, 3] = 255  # ...but an opaque black square
    rgba[25:30, 10:20, 3] = 128  # and a half-transparent one
    image = read_image(encode(Image.fromarray(rgba)))
    assert image[0, 0] == 255 and image[15, 15] == 0 and 120 <= image[27, 15] <= 135


def test_palette_png_with_a_transparent_colour_becomes_white_paper():
    palette = Image.fromarray(seven()).convert("P")
    palette.info["transparency"] = palette.getpixel((0, 0))  # the paper's palette entry
    image = read_image(encode(palette), "seven.png")
    assert image[0, 0] == 255 and image[3, 20] == 0


def test_phone_photo_is_turned_upright_by_its_exif_orientation():
    stored = Image.fromarray(np.rot90(seven(), k=1))  # the camera stored it turned left...
    exif = Image.Exif()
    exif[0x0112] = 6  # ...and says: rotate 90° clockwise to show it
    image = read_image(encode(stored, "JPEG", quality=95, exif=exif.tobytes()))
    assert image.shape == (40, 60)
    assert np.abs(image.astype(int) - seven()).mean() < 8


def test_sixteen_bit_png_is_scaled_to_0_255():
    wide = (seven().astype(np.uint16) * 257).astype(np.uint16)
    image = read_image(encode(Image.fromarray(wide)))
    assert np.array_equal(image, seven())


def test_large_photo_is_shrunk_to_max_side_keeping_its_shape():
    photo = Image.fromarray(np.kron(seven(), np.ones((75, 75), dtype=np.uint8)))  # 4500 × 3000
    image = read_image(encode(photo, "JPEG", quality=80))
    assert image.shape[1] == drawing.MAX_SIDE and abs(image.shape[0] - drawing.MAX_SIDE * 2 / 3) < 1


@pytest.mark.parametrize(
    "data, expected",
    [
        (b"", "empty"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "is a PDF, not an image"),
        ("seven, in words: sept, sieben, семь\n".encode(), "is a text file, not an image"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "HEIC photo"),
        (bytes(range(256)) * 4, "is not an image that can be read here"),
    ],
    ids=["empty", "pdf", "text", "heic", "binary"],
)
def test_files_that_are_not_images_get_a_clear_error(data, expected):
    with pytest.raises(ImageReadError, match=expected) as error:
        read_image(data, "my_digit.xyz")
    message = str(error.value)
    assert message.startswith("my_digit.xyz ") and "PNG or JPEG" in message
    assert isinstance(error.value, ValueError)


def test_a_cut_short_photo_gets_a_clear_error():
    photo = encode(Image.fromarray(np.stack([seven()] * 3, axis=-1)), "JPEG")
    with pytest.raises(ImageReadError, match="damaged"):
        read_image(photo[: len(photo) // 2], "IMG_0042.JPG")


# --- the drawing pad -----------------------------------------------------------------------------


def test_pad_image_decodes_what_the_browser_sends():
    pad = DrawingPad()
    drawn = np.full((280, 280), 255, dtype=np.uint8)
    drawn[40:240, 130:150] = 17
    canvas = Image.fromarray(drawn).convert("RGBA")  # a canvas's toDataURL() is an RGBA PNG
    pad.widget.png = data_url(canvas)
    image = pad.image()
    assert image.shape == (280, 280) and image.dtype == np.uint8
    assert np.array_equal(image, drawn)


def test_pad_is_empty_until_something_is_drawn():
    pad = DrawingPad()
    assert pad.image() is None
    pad.set_image(np.full((28, 28), 255, dtype=np.uint8))
    assert pad.image() is None  # a blank page
    pad.set_image(seven())
    assert pad.image() is not None
    pad.clear()
    assert pad.image() is None and pad.widget.png == ""


def test_set_image_stretches_to_the_pad():
    pad = DrawingPad(size=120)
    pad.set_image(seven())
    image = pad.image()
    assert image.shape == (120, 120) and image[10, 60] < 64 and image[100, 20] == 255
    with pytest.raises(ValueError, match="2-D greyscale"):
        pad.set_image(np.zeros((28, 28, 3)))


def test_pad_settings_reach_the_browser():
    pad = DrawingPad(size=200, brush=18)
    assert (pad.widget.size, pad.widget.brush) == (200, 18)
    assert 18 <= DrawingPad().widget.brush <= 22  # strokes like MNIST's once shrunk to 20 px


def test_on_draw_calls_back_with_each_new_drawing():
    pad = DrawingPad()
    seen = []
    pad.on_draw(lambda image: seen.append(None if image is None else image.shape))
    pad.widget.png = data_url(Image.fromarray(seven(280, 280)))
    pad.clear()
    assert seen == [(280, 280), None]


def test_pad_bundle_carries_widget_and_static_fallback():
    pad = DrawingPad()
    bundle = pad._repr_mimebundle_()
    assert bundle[WIDGET_MIMETYPE]["model_id"] == pad.widget.model_id
    assert base64.b64decode(bundle["image/png"])[:4] == b"\x89PNG"
    assert "Drawing pad" in bundle["text/plain"] and "Colab" in bundle["text/plain"]


def test_pad_bundle_with_anywidget_0_9_on_ipywidgets_7(monkeypatch):
    pad = DrawingPad()  # that pair has no _repr_mimebundle_: ipywidgets 7 displays itself otherwise
    monkeypatch.setattr(type(pad.widget), "_repr_mimebundle_", None, raising=False)
    bundle = pad._repr_mimebundle_()
    assert bundle[WIDGET_MIMETYPE] == {
        "version_major": 2,
        "version_minor": 0,
        "model_id": pad.widget.model_id,
    }


def test_pad_bundle_shows_the_drawing_in_its_fallback_picture():
    pad = DrawingPad()
    blank = pad._repr_mimebundle_()["image/png"]
    pad.set_image(seven())
    assert pad._repr_mimebundle_()["image/png"] != blank


def test_pad_bundle_in_colab_names_colabs_widget_manager(monkeypatch):
    output = types.ModuleType("google.colab.output")
    output.enable_custom_widget_manager = lambda: None
    output._widgets = types.SimpleNamespace(_installed_url="https://colab.example/manager.js")
    monkeypatch.setitem(sys.modules, "google.colab.output", output)
    pad = DrawingPad()
    if getattr(pad.widget, "_repr_mimebundle_", None) is None:
        pytest.skip("this anywidget gives no bundle metadata (0.9 on ipywidgets 7)")
    bundle, metadata = pad._repr_mimebundle_()
    assert WIDGET_MIMETYPE in bundle and "image/png" in bundle
    assert metadata[WIDGET_MIMETYPE]["colab"]["custom_widget_manager"]["url"].endswith("manager.js")


def without_module(monkeypatch, missing: str, error: Exception) -> None:
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == missing or name.startswith(missing + "."):
            raise error
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)


def test_pad_without_anywidget_shows_a_picture_and_says_what_to_do(monkeypatch):
    without_module(monkeypatch, "anywidget", ImportError("No module named 'anywidget'"))
    pad = DrawingPad()
    bundle = pad._repr_mimebundle_()
    assert pad.widget is None and pad.image() is None
    assert WIDGET_MIMETYPE not in bundle and base64.b64decode(bundle["image/png"])[:4] == b"\x89PNG"
    text = bundle["text/plain"]
    assert "anywidget is missing" in text and "pip install anywidget" in text
    assert "photo_upload" in text
    pad.set_image(seven())  # Python-side drawings still work, for tests and the fallback
    assert pad.image().shape == (280, 280)
    pad.on_draw(print)  # nothing to observe, and no error either


def test_pad_with_a_broken_anywidget_still_displays(monkeypatch):
    def broken(anywidget):
        raise AttributeError("module 'ipywidgets' has no attribute 'DOMWidget'")

    monkeypatch.setattr(drawing, "_widget_class", broken)
    pad = DrawingPad()
    assert pad.widget is None and pad.image() is None
    assert "anywidget is installed but does not work (AttributeError" in pad.describe()
    assert "image/png" in pad._repr_mimebundle_()


def test_pad_front_end_is_self_contained_and_takes_every_pointer():
    assert "import " not in drawing._ESM and "http" not in drawing._ESM  # works offline
    assert "export default { render }" in drawing._ESM
    for event in ("pointerdown", "pointermove", "pointerup", "pointercancel"):
        assert f'"{event}"' in drawing._ESM
    assert "touch-action: none" in drawing._CSS  # a finger draws instead of scrolling the page
