"""Helpers for the browser tests: Debian's chromium under Playwright, notebooks in a
private JupyterLab (the ``lab`` fixture), screenshots."""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path
from typing import Iterator

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
KERNEL_READY = """(name) => {
  const widget = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const context = widget && widget.sessionContext;
  const kernel = context && context.session && context.session.kernel;
  return !!(widget && widget.context && widget.context.path === name && context.isReady && kernel
            && kernel.connectionStatus === 'connected' && kernel.status === 'idle');
}"""


def launch_browser() -> Iterator:
    """Start Debian's chromium headless under Playwright; yields the browser."""
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed (make test installs it with apt-get)")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=[
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
        "--disable-dev-shm-usage"])
    yield chromium
    chromium.close()
    playwright.stop()


def open_and_run(page, lab, name: str) -> None:
    """Open a notebook in its own workspace, wait for its kernel, run every cell."""
    page.goto(f"{lab['url']}/lab/workspaces/{name.split('.')[0]}/tree/{name}"
              f"?token={lab['token']}")
    page.wait_for_selector("#jupyterlab-splash", state="detached", timeout=60_000)
    page.wait_for_function(KERNEL_READY, arg=name, timeout=90_000)
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")


def write_notebook(lab, name: str, sources: list[str]) -> None:
    """Write a notebook of code cells into the lab's root."""
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, lab["root"] / name)


def screenshot_dir() -> Path | None:
    """Where passing browser tests save their screenshots (``NBTRACK_SCREENSHOTS``)."""
    folder = os.environ.get("NBTRACK_SCREENSHOTS")
    return Path(folder) if folder else None


@contextlib.contextmanager
def screenshot_on_failure(page, tmp_path: Path, name: str) -> Iterator[None]:
    """Save a screenshot when the block fails, and as ``name`` under
    ``NBTRACK_SCREENSHOTS`` when that is set and it passes; close the page."""
    try:
        yield
        if screenshot_dir():
            page.screenshot(path=str(screenshot_dir() / f"{name}.png"), full_page=True)
    except Exception:
        shot = tmp_path / f"{name}-failure.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"screenshot: {shot}")
        raise
    finally:
        page.context.close()
