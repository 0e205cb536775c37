"""The compare widget in a real JupyterLab, driven by Playwright on Debian's chromium.

The server runs on a free loopback port with a random token; the test executes a
notebook, checks the table renders the runs, sorts by a column, selects two rows
and sees the chart. A screenshot is saved when a check fails.
"""

from __future__ import annotations

import os

import pytest

from browser import KERNEL_READY, open_and_run as _open_and_run, write_notebook as _notebook

pytestmark = pytest.mark.slow


def test_compare_widget_sorts_and_charts_the_selection(lab, browser, tmp_path):
    _notebook(lab, "compare.ipynb", [
        "import nbtrack\n"
        "for C, acc in ((0.1, 0.71), (1.0, 0.93), (10.0, 0.88)):\n"
        "    with nbtrack.start_run(name=f'C={C}', params={'C': C}):\n"
        "        for step in range(3):\n"
        "            nbtrack.log_metric('loss', 1 / (step + 1) / C)\n"
        "        nbtrack.log_metric('acc', acc)",
        "nbtrack.compare()"])
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    try:
        _open_and_run(page, lab, "compare.ipynb")
        rows = page.locator(".nbtrack-cmp tbody tr")
        rows.nth(2).wait_for(timeout=60_000)
        assert rows.count() == 3
        assert not page.locator(".nbtrack-static").first.is_visible(), \
            "the live widget hides its static copy"
        names = lambda: [rows.nth(i).locator("td").nth(1).inner_text() for i in range(3)]  # noqa: E731
        assert sorted(names()) == ["C=0.1", "C=1.0", "C=10.0"]
        page.locator('.nbtrack-cmp th[data-column="metrics.acc"]').click()
        page.wait_for_function(
            "() => document.querySelector('.nbtrack-cmp tbody tr td:nth-child(2)')"
            ".textContent === 'C=0.1'", timeout=30_000)
        assert names() == ["C=0.1", "C=10.0", "C=1.0"]
        page.locator('.nbtrack-cmp th[data-column="metrics.acc"]').click()
        page.wait_for_function(
            "() => document.querySelector('.nbtrack-cmp tbody tr td:nth-child(2)')"
            ".textContent === 'C=1.0'", timeout=30_000)
        rows.nth(0).click()
        rows.nth(1).click()
        page.locator(".nbtrack-cmp .chart img").wait_for(timeout=30_000)
        assert page.locator(".nbtrack-cmp tr.selected").count() == 2
        if os.environ.get("NBTRACK_SCREENSHOTS"):
            page.screenshot(path=os.path.join(os.environ["NBTRACK_SCREENSHOTS"],
                                              "compare-widget.png"), full_page=True)
    except Exception:
        shot = tmp_path / "compare-failure.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"screenshot: {shot}")
        raise
    finally:
        page.context.close()


def test_nbconvert_html_shows_run_names_in_chromium(lab, browser, tmp_path):
    import nbformat
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in (
        "import nbtrack\nfor C in (0.5, 2.0):\n"
        "    with nbtrack.start_run(name=f'static-{C}', params={'C': C}):\n"
        "        nbtrack.log_metric('acc', C / 4)",
        "nbtrack.compare(filter=\"name LIKE 'static-%'\")")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    NotebookClient(nb, timeout=120, resources={"metadata": {"path": str(tmp_path)}}).execute()
    page_html, _ = HTMLExporter().from_notebook_node(nb)
    path = tmp_path / "compare.html"
    path.write_text(page_html)
    page = browser.new_context().new_page()
    try:
        page.goto(path.as_uri())
        table = page.locator("table.nbtrack-compare")
        table.wait_for(timeout=30_000)
        text = table.inner_text()
        assert "static-0.5" in text and "static-2.0" in text
        assert page.locator("img[alt='acc']").first.is_visible()
    finally:
        page.context.close()


def test_summary_button_compares_the_runs_of_the_cell(lab, browser, tmp_path):
    _notebook(lab, "cell.ipynb", ["%load_ext nbtrack", "%%track\nC = 1\nacc = C / 2 + 0.1"])
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    try:
        _open_and_run(page, lab, "cell.ipynb")
        page.locator(".nbtrack-summary").first.wait_for(timeout=60_000)
        page.wait_for_function(KERNEL_READY, arg="cell.ipynb", timeout=60_000)
        # run the tracked cell again: the same Jupyter cell id links both runs
        page.evaluate("""() => {
            const panel = window.jupyterapp.shell.currentWidget;
            panel.content.activeCellIndex = 1;
            return window.jupyterapp.commands.execute('notebook:run-cell');
        }""")
        button = page.locator("button.nbtrack-cell-compare")
        button.wait_for(timeout=60_000)
        assert button.inner_text() == "compare the 2 runs of this cell"
        assert "vs r-" in page.locator(".nbtrack-summary").first.inner_text()
        button.click()
        page.locator(".nbtrack-cmp tbody tr").nth(1).wait_for(timeout=60_000)
        assert page.locator(".nbtrack-cmp tbody tr").count() == 2
        if os.environ.get("NBTRACK_SCREENSHOTS"):
            page.screenshot(path=os.path.join(os.environ["NBTRACK_SCREENSHOTS"],
                                              "cell-compare.png"), full_page=True)
    except Exception:
        shot = tmp_path / "cell-compare-failure.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"screenshot: {shot}")
        raise
    finally:
        page.context.close()
