"""The widgets in a real browser: JupyterLab 4 and Debian's headless Chromium, driven by Playwright.

A generated notebook shows a DrawingPad, a DigitBrowser and a photo upload. The test runs all its
cells, then draws with the mouse and with a finger and checks that the kernel received exactly
the ink on the canvas; that Clear (in the browser) and set_image (in Python) travel both ways; that
the browser's slider, picture and filter rendered; and that an uploaded PNG reaches read_image.

Without /usr/bin/chromium or Playwright it is skipped, except in CI (CI=true), where it fails: CI
installs both. Playwright never downloads a browser here; it drives the system's Chromium. On a
failure the message carries the notebook's state and the browser's console, and a screenshot
lands in the test's tmp_path.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import nbformat
import numpy as np
import pytest
from PIL import Image

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
TIMEOUT_MS = 60_000
LAB_CONFIG = """
c.ServerApp.ip = "127.0.0.1"
c.ServerApp.port = 0  # a free port, read back from the server's info file
c.ServerApp.allow_root = True  # CI runs as root
c.LabApp.expose_app_in_browser = True  # window.jupyterapp: run cells without clicking menus
c.LabApp.news_url = None
c.LabApp.check_for_updates_class = "jupyterlab.NeverCheckForUpdate"
c.LabApp.extension_manager = "readonly"
"""
LAB_SETTINGS = {  # no kernel dialog, every cell in the page, no toasts over the notebook
    "@jupyterlab/notebook-extension/tracker": {
        "autoStartDefaultKernel": True,
        "windowingMode": "none",
    },
    "@jupyterlab/apputils-extension/notification": {
        "fetchNews": "false",
        "checkForUpdates": False,
        "doNotDisturbMode": True,
    },
}
NOTEBOOK_CELLS = [
    "import numpy as np\nimport helpers\n\npad = helpers.DrawingPad()\npad",
    "rng = np.random.default_rng(0)\n"
    "images = rng.integers(0, 256, (12, 28, 28), dtype=np.uint8)\n"
    "helpers.DigitBrowser(images, np.arange(12) % 10)",
    'drawn = pad.image()\nprint("INK", -1 if drawn is None else int((drawn < 128).sum()), "END")',
    "square = np.full((28, 28), 255, dtype=np.uint8)\nsquare[9:19, 9:19] = 0\npad.set_image(square)",
    "upload = helpers.photo_upload()\nupload",
    "for name, data in helpers.uploaded_images(upload):\n"
    '    print("UPLOADED", name, helpers.read_image(data, name).shape, "END")',
]
PAD, BROWSER, INK, SQUARE, UPLOAD, UPLOADED = range(len(NOTEBOOK_CELLS))
NOTEBOOK = "window.jupyterapp?.shell.currentWidget"  # the notebook panel, in the page's JavaScript
KERNEL_READY = f"""() => {{
    const kernel = {NOTEBOOK}.sessionContext.session?.kernel;
    return kernel?.status === "idle" && kernel?.connectionStatus === "connected";
}}"""
INK_ON_CANVAS = """(canvas) => {
    const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    let dark = 0;
    for (let i = 0; i < pixels.length; i += 4) if (pixels[i] < 128) dark += 1;
    return dark;
}"""


def test_pad_browser_and_upload_work_in_jupyterlab(lab, tmp_path):
    with _notebook_tab(lab, tmp_path) as page:
        started = time.monotonic()
        page.wait_for_function(KERNEL_READY)
        page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
        for index in range(len(NOTEBOOK_CELLS)):
            _wait_until_run(page, index)
        _check_everything_rendered(page)
        _check_drawings_reach_the_kernel(page, tmp_path)
        _check_upload_reaches_the_kernel(page)
        print(f"in the browser for {time.monotonic() - started:.1f} s")


def _check_everything_rendered(page) -> None:
    page.locator("canvas.mnist-pad-canvas").wait_for(state="visible")
    assert "Drawing pad" not in _output(page, PAD), "the pad's fallback text shows, not the pad"
    browser = _cell(page, BROWSER)
    browser.locator(".widget-slider").wait_for(state="visible")
    browser.locator("img.widget-image").wait_for(state="visible")
    shown = browser.locator(".widget-dropdown select").evaluate(
        "(select) => select.selectedIndex < 0 ? '' : select.options[select.selectedIndex].text"
    )
    assert shown.replace("\xa0", " ") == "all digits", f"the browser's filter shows {shown!r}"


def _check_drawings_reach_the_kernel(page, tmp_path: Path) -> None:
    square = _ink_in_kernel(page)  # set_image in Python (run by "run all") shows on the canvas
    assert square > 5000
    _wait_for_canvas_ink(page, square)

    page.locator("button.mnist-pad-clear").click()  # Clear in the browser reaches the kernel
    assert _ink_on_canvas(page) == 0
    _assert_kernel_ink(page, -1, "Clear in the browser did not reach the kernel")

    with _sent_to_the_kernel(page):
        _mouse_stroke(page)  # a stroke reaches the kernel, pixel for pixel
    on_canvas = _ink_on_canvas(page)
    assert on_canvas > 2000, f"a 200-pixel stroke 20 pixels wide left {on_canvas} dark pixels"
    _assert_kernel_ink(page, on_canvas, "the kernel did not get the mouse stroke")
    _screenshot(page, tmp_path / "drawn.png")

    page.locator("button.mnist-pad-clear").click()  # a finger draws too
    with _sent_to_the_kernel(page):
        _touch_stroke(page)
    on_canvas = _ink_on_canvas(page)
    assert on_canvas > 2000, f"a 200-pixel touch stroke left {on_canvas} dark pixels"
    _assert_kernel_ink(page, on_canvas, "the kernel did not get the touch stroke")

    _run_cell(page, SQUARE)  # Python replaces the drawing while the pad is on screen
    _wait_for_canvas_ink(page, square)


def _check_upload_reaches_the_kernel(page) -> None:
    photo = np.full((40, 60, 3), 255, dtype=np.uint8)
    photo[5:35, 40:45] = 0
    buffer = io.BytesIO()
    Image.fromarray(photo).save(buffer, format="PNG")
    with page.expect_file_chooser() as chooser:
        _cell(page, UPLOAD).locator("button.widget-upload, .widget-upload button").first.click()
    chooser.value.set_files(
        {"name": "seven.png", "mimeType": "image/png", "buffer": buffer.getvalue()}
    )
    page.wait_for_function(
        f"() => {NOTEBOOK}.content.widgets[{UPLOAD}].node.innerText.includes('(1)')"
    )  # the button counts the files the kernel was sent
    outputs = _run_until(page, UPLOADED, lambda output: "UPLOADED" in output)
    assert "UPLOADED seven.png (40, 60) END" in outputs[-1], f"the kernel printed {outputs}"


# --- the server ----------------------------------------------------------------------------------


def _missing() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (Debian: apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is missing (pip install -r requirements.txt)"
    return None


@pytest.fixture(scope="module")
def browser_tools():
    reason = _missing()
    if reason and os.environ.get("CI") == "true":
        pytest.fail(f"CI must run the real-browser test, but {reason}")
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="module")
def lab(browser_tools, tmp_path_factory):
    """The notebook's URL on a JupyterLab server with a config of its own, over a tmp folder."""
    root, home = tmp_path_factory.mktemp("lab"), tmp_path_factory.mktemp("jupyter")
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(c) for c in NOTEBOOK_CELLS]
    )
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}  # fmt: skip
    nbformat.write(notebook, root / "widgets.ipynb")
    (home / "config").mkdir()
    (home / "config" / "jupyter_lab_config.py").write_text(LAB_CONFIG)
    for plugin, settings in LAB_SETTINGS.items():
        path = home / "settings" / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(settings))
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
    }
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--ServerApp.root_dir={root}"]
    log = home / "server.log"
    with log.open("w") as output:
        server = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        info = _server_info(server, home / "runtime", log)
        yield f"{info['url'].rstrip('/')}/lab/tree/widgets.ipynb?token={info['token']}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _server_info(server: subprocess.Popen, runtime: Path, log: Path) -> dict:
    """The server's URL and token once it answers, from the info file it writes."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"JupyterLab exited with {server.returncode}:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(OSError, ValueError, KeyError):
            info = json.loads((runtime / f"jpserver-{server.pid}.json").read_text())
            status = f"{info['url'].rstrip('/')}/api/status?token={info['token']}"
            with urllib.request.urlopen(status, timeout=2) as response:
                if response.status == 200:
                    return info
        time.sleep(0.3)
    pytest.fail(f"JupyterLab did not answer within 60 s:\n{log.read_text()[-3000:]}")


# --- the browser ---------------------------------------------------------------------------------


@contextlib.contextmanager
def _notebook_tab(url: str, evidence: Path):
    """A headless Chromium tab on the notebook. If the test fails in it, a screenshot lands in
    ``evidence`` and the failure message carries the notebook's state and the browser's console."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1200, "height": 1600}, has_touch=True)
        tab = context.new_page()
        tab.set_default_timeout(TIMEOUT_MS)
        console: list[str] = []
        tab.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
        try:
            tab.goto(url)
            tab.wait_for_function(f"() => {NOTEBOOK}?.content?.widgets?.length")
            yield tab
        except Exception as error:
            _screenshot(tab, evidence / "failure.png")
            log = "\n".join(console[-30:])
            raise AssertionError(f"{error}\n\n{_state(tab)}\nbrowser console:\n{log}") from error
        finally:
            browser.close()


def _screenshot(tab, path: Path) -> None:
    try:
        tab.screenshot(path=str(path), full_page=True)
        print(f"screenshot: {path}")
    except Exception as error:  # a failed screenshot must not hide the failure it documents
        print(f"no screenshot ({error})")


def _state(tab) -> str:
    try:
        return tab.evaluate(
            f"""() => {{
                const panel = {NOTEBOOK};
                const counts = panel.content.widgets.map((cell) => cell.model.executionCount);
                return `kernel ${{panel.sessionContext.session?.kernel?.status}}, execution counts ${{counts}}`;
            }}"""
        )
    except Exception as error:
        return f"no notebook state ({error})"


def _cell(tab, index: int):
    return tab.locator(".jp-Notebook .jp-Cell").nth(index)


def _output(tab, index: int) -> str:
    return _cell(tab, index).locator(".jp-OutputArea").inner_text()


def _wait_until_run(tab, index: int, before: int | None = None) -> None:
    """Wait until cell ``index`` has an execution count other than ``before`` and the kernel is idle."""
    tab.wait_for_function(
        f"""([index, before]) => {{
            const panel = {NOTEBOOK};
            const count = panel.content.widgets[index].model.executionCount;
            const kernel = panel.sessionContext.session?.kernel;
            return count !== null && count !== before && kernel?.status === "idle";
        }}""",
        arg=[index, before],
    )


def _run_cell(tab, index: int) -> str:
    """Run one cell, then return the text of its output."""
    before = tab.evaluate(
        f"""(index) => {{
            const notebook = {NOTEBOOK}.content;
            notebook.activeCellIndex = index;
            const count = notebook.widgets[index].model.executionCount;
            window.jupyterapp.commands.execute("notebook:run-cell");
            return count;
        }}""",
        index,
    )
    _wait_until_run(tab, index, before)
    return _output(tab, index)


def _ink_in_kernel(tab) -> int:
    return _ink(_run_cell(tab, INK))


def _ink(output: str) -> int:
    found = re.search(r"INK (-?\d+) END", output)
    assert found, f"the kernel printed {output!r}"
    return int(found.group(1))


def _run_until(tab, index: int, done: Callable[[str], bool]) -> list[str]:
    """Run cell ``index`` until its output is ``done`` (10 s at most); return every output seen.

    Once is not enough at a test's speed: ipykernel 7.4 sometimes handles a widget update after an
    execute request that the browser sent 40 ms later (a person is never that fast).
    """
    deadline = time.monotonic() + 10
    outputs = [_run_cell(tab, index)]
    while not done(outputs[-1]) and time.monotonic() < deadline:
        time.sleep(0.2)
        outputs.append(_run_cell(tab, index))
    return outputs


def _assert_kernel_ink(tab, expected: int, problem: str) -> None:
    seen = [_ink(output) for output in _run_until(tab, INK, lambda out: _ink(out) == expected)]
    assert seen[-1] == expected, f"{problem}: the kernel printed {seen}, the page shows {expected}"


def _ink_on_canvas(tab) -> int:
    return tab.locator("canvas.mnist-pad-canvas").evaluate(INK_ON_CANVAS)


def _wait_for_canvas_ink(tab, expected: int) -> None:
    canvas = tab.locator("canvas.mnist-pad-canvas").element_handle()
    check = f"([canvas, expected]) => ({INK_ON_CANVAS})(canvas) === expected"
    tab.wait_for_function(check, arg=[canvas, expected])


@contextlib.contextmanager
def _sent_to_the_kernel(tab):
    """Wait, after the block, until the pad has sent one more drawing (input events are async)."""
    canvas = tab.locator("canvas.mnist-pad-canvas")
    sent = int(canvas.get_attribute("data-sent") or 0)
    yield
    tab.wait_for_function(
        "(sent) => Number(document.querySelector('canvas.mnist-pad-canvas').dataset.sent) > sent",
        arg=sent,
    )


def _mouse_stroke(tab) -> None:
    box = tab.locator("canvas.mnist-pad-canvas").bounding_box()
    x, top, height = box["x"] + box["width"] * 0.3, box["y"] + 30, box["height"] - 60
    tab.mouse.move(x, top)
    tab.mouse.down()
    for step in range(1, 21):
        tab.mouse.move(x, top + height * step / 20)
    tab.mouse.up()


def _touch_stroke(tab) -> None:
    """A finger drawn across the pad: without touch-action none the page would scroll instead."""
    box = tab.locator("canvas.mnist-pad-canvas").bounding_box()
    y, left, width = box["y"] + box["height"] * 0.6, box["x"] + 30, box["width"] - 60
    touch = tab.context.new_cdp_session(tab)
    for step in range(21):
        kind = "touchStart" if step == 0 else "touchMove"
        point = {"x": left + width * step / 20, "y": y}
        touch.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [point]})
    touch.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
