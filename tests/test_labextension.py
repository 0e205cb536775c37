"""The JupyterLab extension in a real JupyterLab, driven by Playwright on Debian's chromium.

One notebook, as a user would work with it: run a ``%%track`` cell, see its run in
the Runs sidebar and a badge on the cell, change a param and run it again, select
both runs and compare them, export one from the sidebar's context menu and find the
notebook in the file browser, open a run from its badge.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from browser import open_and_run, screenshot_dir, screenshot_on_failure, write_notebook

pytestmark = pytest.mark.slow

CELL = ("%%track\nC = {C}\nlosses = []\nfor step in range(5):\n"
        "    losses.append(1 / (step + 1) / C)\nacc = 0.5 + C / 10")

RUN_CELL_AGAIN = """(source) => {
  const panel = window.jupyterapp.shell.currentWidget;
  panel.content.activeCellIndex = 1;
  panel.content.activeCell.model.sharedModel.setSource(source);
  return window.jupyterapp.commands.execute('notebook:run-cell');
}"""


def test_runs_sidebar_badges_compare_and_export(lab, browser, tmp_path):
    name = "labext.ipynb"
    write_notebook(lab, name, ["%load_ext nbtrack", CELL.format(C=1.0)])
    page = browser.new_context(viewport={"width": 1500, "height": 1000}).new_page()
    with screenshot_on_failure(page, tmp_path, "labextension"):
        open_and_run(page, lab, name)

        badge = page.locator(".jp-nbtrack-Badge[data-run-id]")
        badge.wait_for(timeout=60_000)
        first_run = badge.get_attribute("data-run-id")
        assert first_run.startswith("r-")
        assert badge.inner_text() == f"● {first_run[:10]} · acc=0.6"
        assert page.locator(".jp-nbtrack-Badge").count() == 1, "only the %%track cell"

        page.locator('.jp-SideBar.jp-mod-left li[data-id="nbtrack-runs"]').click()
        rows = page.locator("#nbtrack-runs .jp-nbtrack-run")
        rows.first.wait_for(timeout=30_000)
        assert rows.count() == 1
        assert rows.first.get_attribute("data-run-id") == first_run
        assert "acc=0.6" in rows.first.inner_text()
        assert "store: " in page.locator("#nbtrack-runs .jp-nbtrack-store").inner_text()

        # a second run of the same cell appears at the top, and the badge follows it
        page.evaluate(RUN_CELL_AGAIN, CELL.format(C=2.0))
        page.wait_for_function(
            "() => document.querySelectorAll('#nbtrack-runs .jp-nbtrack-run').length === 2",
            timeout=60_000)
        second_run = rows.first.get_attribute("data-run-id")
        assert second_run != first_run and "acc=0.7" in rows.first.inner_text()
        page.wait_for_function(
            "(id) => document.querySelector('.jp-nbtrack-Badge')?.dataset.runId === id",
            arg=second_run, timeout=30_000)

        # the filter box narrows the list with the runs() syntax
        page.locator("#nbtrack-runs .jp-nbtrack-filter").fill("params.C > 1.5")
        page.locator("#nbtrack-runs .jp-nbtrack-filter").press("Enter")
        page.wait_for_function(
            "() => document.querySelectorAll('#nbtrack-runs .jp-nbtrack-run').length === 1",
            timeout=30_000)
        page.locator("#nbtrack-runs .jp-nbtrack-filter").fill("metrics.acc >")
        page.locator("#nbtrack-runs .jp-nbtrack-filter").press("Enter")
        error = page.locator("#nbtrack-runs .jp-nbtrack-error")
        error.wait_for(timeout=30_000)
        assert "bad filter" in error.inner_text()
        page.locator("#nbtrack-runs .jp-nbtrack-filter").fill("")
        page.locator("#nbtrack-runs .jp-nbtrack-filter").press("Enter")
        page.wait_for_function(
            "() => document.querySelectorAll('#nbtrack-runs .jp-nbtrack-run').length === 2",
            timeout=30_000)
        if screenshot_dir():
            page.screenshot(path=str(screenshot_dir() / "runs-sidebar.png"))

        # select both runs and compare them
        for i in range(2):
            rows.nth(i).locator("input.jp-nbtrack-select").check()
        compare = page.locator("#nbtrack-runs .jp-nbtrack-compare-button")
        assert compare.inner_text() == "Compare 2 selected"
        compare.click()
        panel = page.locator(".jp-nbtrack-ComparePanel")
        panel.locator("tbody tr").nth(1).wait_for(timeout=30_000)
        assert panel.locator("tbody tr").count() == 2
        assert panel.locator("th.jp-mod-differs").all_inner_texts() == ["C"]
        assert panel.locator("select.jp-nbtrack-metric").input_value() == "acc"
        panel.locator("select.jp-nbtrack-metric").select_option("losses")
        chart = panel.locator('.jp-nbtrack-chart[data-metric="losses"]')
        chart.locator("canvas, svg").first.wait_for(timeout=30_000)
        if screenshot_dir():
            page.screenshot(path=str(screenshot_dir() / "compare-panel.png"))

        # export the first run from the sidebar's context menu
        rows.nth(1).click(button="right")
        page.locator(".lm-Menu-itemLabel", has_text="Export Run as Notebook").click()
        dialog = page.locator(".jp-Dialog")
        dialog.locator("input").fill("exported-run.ipynb")
        dialog.locator(".jp-mod-accept").click()
        page.locator('.jp-SideBar.jp-mod-left li[data-id="filebrowser"]').click()
        page.locator(".jp-DirListing-itemText", has_text="exported-run.ipynb").wait_for(
            timeout=30_000)
        exported = json.loads((lab["root"] / "exported-run.ipynb").read_text())
        assert exported["metadata"]["nbtrack"]["run_id"] == first_run

        # back in the notebook, a click on the badge opens the run's details
        page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text=name).click()
        badge.click()
        details = page.locator(".jp-nbtrack-RunPanel")
        details.locator("h3", has_text="Metrics").wait_for(timeout=30_000)
        assert second_run in details.inner_text()
        assert "acc" in details.inner_text() and "losses" in details.inner_text()
        if screenshot_dir():
            page.screenshot(path=str(screenshot_dir() / "run-details.png"))


def test_the_installed_package_carries_the_extension():
    """pip's install put the built extension where JupyterLab finds it, enabled."""
    out = subprocess.run([sys.executable, "-m", "jupyter", "labextension", "list"],
                         capture_output=True, text=True, check=True)
    listing = out.stdout + out.stderr
    line = next(text for text in listing.splitlines() if text.strip().startswith("nbtrack "))
    import nbtrack

    assert f"v{nbtrack.__version__}" in line and "enabled" in line and "OK" in line
    package = json.loads((Path(__file__).parents[1] / "labextension" / "package.json").read_text())
    assert package["version"] == nbtrack.__version__, "one version for Python and npm"


def test_the_wheel_ships_the_built_extension_and_enables_the_server_part(tmp_path):
    import zipfile

    root = Path(__file__).parents[1]
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--no-build-isolation", "-w", str(tmp_path), str(root)],
                   check=True, capture_output=True)
    wheel = next(tmp_path.glob("nbtrack-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    data = next(n.split("/")[0] for n in names if n.endswith(".data/") or ".data/" in n)
    labext = f"{data}/data/share/jupyter/labextensions/nbtrack/"
    assert f"{labext}package.json" in names and f"{labext}install.json" in names
    assert any(n.startswith(f"{labext}static/remoteEntry.") for n in names)
    config = f"{data}/data/etc/jupyter/jupyter_server_config.d/nbtrack.json"
    assert json.loads(zipfile.ZipFile(wheel).read(config)) == {
        "ServerApp": {"jpserver_extensions": {"nbtrack": True}}}
    assert not any("node_modules" in n or n.startswith("labextension/") for n in names)


MODEL_CELL = ("%%track\nfrom sklearn.linear_model import LogisticRegression\n"
              "clf = LogisticRegression().fit([[0.0], [1.0], [0.1], [0.9]], [0, 1, 0, 1])\n"
              "acc = clf.score([[0.0], [1.0]], [0, 1])")


def test_models_section_shows_versions_aliases_and_their_history(lab, browser, tmp_path):
    name = "lifecycle.ipynb"
    write_notebook(lab, name, ["%load_ext nbtrack", MODEL_CELL,
                               "%track register flowers --alias production", MODEL_CELL,
                               "%track register flowers\n%track promote flowers 2 production"])
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    with screenshot_on_failure(page, tmp_path, "models-section"):
        open_and_run(page, lab, name)
        page.locator(".jp-nbtrack-Badge[data-run-id]").nth(1).wait_for(timeout=90_000)
        page.wait_for_function(
            "() => [...document.querySelectorAll('.jp-OutputArea-output')]"
            ".some(o => o.textContent.includes('flowers@production -> 2'))", timeout=60_000)
        page.locator('.jp-SideBar.jp-mod-left li[data-id="nbtrack-models"]').click()
        model = page.locator('#nbtrack-models .jp-nbtrack-model[data-model="flowers"]')
        model.wait_for(timeout=30_000)
        assert model.locator(".jp-nbtrack-model-aliases").inner_text() == "@production → 2"
        assert model.locator(".jp-nbtrack-model-latest").inner_text().strip() == "v2"
        model.locator(".jp-nbtrack-model-summary").click()
        versions = model.locator(".jp-nbtrack-versions tr[data-version]")
        versions.nth(1).wait_for(timeout=10_000)
        assert [versions.nth(i).get_attribute("data-version") for i in range(2)] == ["2", "1"]
        assert versions.nth(0).locator("td").nth(1).inner_text() == "@production"
        assert model.locator(".jp-nbtrack-history-what").all_inner_texts() == [
            "@production 1 → 2", "registered version 2", "@production → 1",
            "registered version 1"]
        if screenshot_dir():
            page.screenshot(path=str(screenshot_dir() / "models-section.png"))
