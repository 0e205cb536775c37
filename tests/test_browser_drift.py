"""The inline drift report in a real JupyterLab, driven by Playwright on Debian's
chromium: a cell's ``nbtrack.drift(...)`` draws the widget, rows in PSI order; a click
(or Enter) opens the larger histogram with the bin edges or levels on its axis."""

from __future__ import annotations

import pytest

from browser import open_and_run, screenshot_on_failure, write_notebook

pytestmark = pytest.mark.slow

DATA = ("import numpy as np, pandas as pd\n"
        "rng = np.random.default_rng(5)\n"
        "a = pd.DataFrame({'x': rng.normal(0, 1, 800), 'y': rng.normal(0, 1, 800),\n"
        "                  'colour': rng.choice(['red', 'green', 'blue'], 800, p=[.5, .3, .2])})\n"
        "b = pd.DataFrame({'x': rng.normal(0.15, 1, 800), 'y': rng.normal(1.2, 1, 800),\n"
        "                  'colour': rng.choice(['red', 'green', 'blue'], 800, p=[.3, .3, .4])})")


def test_drift_widget_rows_in_psi_order_and_a_click_opens_the_histogram(lab, browser,
                                                                       tmp_path):
    from nbtrack.monitoring.drift import drift

    scope: dict = {}
    exec(DATA, scope)  # the same seeded tables as the notebook's
    expected = drift(scope["a"], scope["b"])
    order = list(expected.features["feature"])
    assert order[-1] == "x", "the smallest shift has the smallest PSI"
    write_notebook(lab, "drift.ipynb", [DATA, "import nbtrack\nnbtrack.drift(a, b)"])
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    with screenshot_on_failure(page, tmp_path, "drift-widget"):
        open_and_run(page, lab, "drift.ipynb")
        widget = page.locator(".nbtrack-drift-widget")
        rows = widget.locator("tr.feature")
        rows.nth(2).wait_for(timeout=60_000)
        assert [rows.nth(i).get_attribute("data-feature") for i in range(3)] == order
        psi = [float(rows.nth(i).locator("td.psi").inner_text()) for i in range(3)]
        assert psi == pytest.approx(list(expected.features["psi"]), rel=5e-4)  # 4 digits
        assert widget.locator(".verdict").inner_text() == expected.summary()
        assert rows.first.locator(".badge").inner_text().startswith("major drift")
        assert not page.locator(".nbtrack-drift").is_visible(), "one view: the widget"

        numeric = rows.filter(has=page.locator("td.name", has_text="y"))
        numeric.click()
        large = widget.locator('tr.detail[data-detail-of="y"] svg.hist.large')
        large.wait_for(timeout=10_000)
        edges = expected.features.set_index("feature").loc["y", "bins"]
        shown = [float(e.get_attribute("data-edge")) for e in large.locator("text.edge").all()]
        assert shown == pytest.approx(list(edges)) and len(shown) == 9
        assert large.locator("rect.reference").count() == 10
        assert numeric.get_attribute("aria-expanded") == "true"

        categorical = rows.filter(has=page.locator("td.name", has_text="colour"))
        categorical.focus()
        page.keyboard.press("Enter")
        levels = widget.locator('tr.detail[data-detail-of="colour"] text.level')
        levels.first.wait_for(timeout=10_000)
        assert [t.text_content() for t in levels.all()] == ["blue", "green", "red"]
        assert widget.locator("tr.detail").count() == 1, "one histogram open at a time"

        widget.locator("input.drifted-only").check()
        drifted = [r for r in order if r in expected.drifted]
        page.wait_for_function(
            "(n) => document.querySelectorAll('.nbtrack-drift-widget tr.feature').length === n",
            arg=len(drifted), timeout=10_000)
        assert [rows.nth(i).get_attribute("data-feature") for i in range(len(drifted))] == \
            drifted
