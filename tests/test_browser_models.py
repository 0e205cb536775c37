"""The Models section's drift badges in a real JupyterLab, driven by Playwright on
Debian's chromium: a notebook checks the served version of a model whose inputs
shifted, the section shows the verdict, and its link opens the check's drift figures."""

from __future__ import annotations

import math

import pytest

from browser import open_and_run, screenshot_dir, screenshot_on_failure, write_notebook
from monitored import DAY, log_requests, served_model
from nbtrack import registry
from nbtrack.store import open_store

pytestmark = pytest.mark.slow

OUTPUT_HAS = """(text) => [...document.querySelectorAll('.jp-OutputArea-output')]
    .some(o => o.textContent.includes(text))"""


@pytest.fixture
def watched(lab):
    """``watched``: version 1 never checked, version 2 at @production sent inputs whose
    feature ``a`` moved by 1.5 standard deviations."""
    store = open_store(str(lab["root"] / ".nbtrack"))
    served_model(store, "watched", versions=2)
    registry.set_alias(store, "watched", "production", 2)
    log_requests(store, "watched", 2, 100 * DAY, shift=1.5, rows=400, seed=2)
    store.flush()
    yield store
    store.close()


def test_models_section_shows_the_drift_verdict_and_opens_the_check(lab, browser, watched,
                                                                    tmp_path):
    name = "monitoring.ipynb"
    write_notebook(lab, name, ["import nbtrack",
                               "report = nbtrack.monitor('watched@production')\n"
                               "print('checked', report.run_id, report.drift_detected)"])
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    with screenshot_on_failure(page, tmp_path, "models-drift"):
        open_and_run(page, lab, name)
        page.wait_for_function(OUTPUT_HAS, arg="checked r-", timeout=90_000)
        page.locator('.jp-SideBar.jp-mod-left li[data-id="nbtrack-models"]').click()
        model = page.locator('#nbtrack-models .jp-nbtrack-model[data-model="watched"]')
        served = model.locator(".jp-nbtrack-model-head > .jp-nbtrack-DriftBadge")
        served.wait_for(timeout=30_000)
        (check_id,) = [run_id for run_id in watched.search().run_ids
                       if watched.get_run(run_id).tags.get("nbtrack.kind") == "monitor"]
        check = watched.get_run(check_id)
        assert check.metrics["drift.detected"] == 1.0, "the kernel's check found the shift"
        assert served.inner_text() == "v2 ▲ drifted"
        assert served.get_attribute("data-run-id") == check_id

        model.locator(".jp-nbtrack-model-summary .jp-nbtrack-model-name").click()
        rows = model.locator(".jp-nbtrack-versions tr.jp-nbtrack-check")
        rows.first.wait_for(timeout=10_000)
        assert rows.count() == 1, "version 1 was never checked: no badge"
        assert rows.first.get_attribute("data-check-of") == "2"
        badge = rows.first.locator(".jp-nbtrack-DriftBadge")
        assert badge.inner_text() == "▲ drifted"
        assert "drifted" in badge.get_attribute("aria-label"), "the words, not only a colour"
        beside = rows.first.locator(".jp-nbtrack-check-figures").inner_text()
        assert beside.startswith("just now · drift share 0.5 · max PSI ")
        assert "most drifted: a (PSI " in badge.get_attribute("title")
        if screenshot_dir():
            page.screenshot(path=str(screenshot_dir() / "models-drift-badges.png"))

        badge.click()
        details = page.locator(".jp-nbtrack-RunPanel")
        drift = details.locator("section.jp-nbtrack-drift")
        drift.locator(".jp-nbtrack-drift-table tbody tr").first.wait_for(timeout=30_000)
        assert check_id in details.inner_text()
        assert drift.locator(".jp-nbtrack-DriftBadge").inner_text() == "▲ drifted"
        psi = {f: check.metrics[f"drift.psi.{f}"] for f in ("a", "b")}
        by_psi = sorted(psi, key=psi.get, reverse=True)
        table = drift.locator(".jp-nbtrack-drift-table tbody tr")
        assert [table.nth(i).get_attribute("data-feature") for i in range(2)] == by_psi
        first = table.first.locator("td")
        assert math.isclose(float(first.nth(0).inner_text()), psi[by_psi[0]], rel_tol=1e-3)
        assert first.nth(2).inner_text() == ("major" if psi[by_psi[0]] >= 0.25 else "moderate")
        if screenshot_dir():
            page.screenshot(path=str(screenshot_dir() / "monitor-run-details.png"))

        # a rule set and checked from the notebook: the section follows without a refresh
        page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text=name).click()
        page.evaluate("""() => {
            const panel = window.jupyterapp.shell.currentWidget;
            panel.content.activeCellIndex = 1;
            panel.content.activeCell.model.sharedModel.setSource(
                "nbtrack.set_monitor_rule('watched', 'drift.share >= 0.5')\\n" +
                "report = nbtrack.monitor('watched@production')\\nprint('fired', report.fired)");
            return window.jupyterapp.commands.execute('notebook:run-cell');
        }""")
        page.wait_for_function(OUTPUT_HAS, arg="fired True", timeout=60_000)
        page.wait_for_function(
            "() => document.querySelector('#nbtrack-models .jp-nbtrack-model-head > "
            ".jp-nbtrack-DriftBadge')?.textContent === 'v2 ✖ rule fired'", timeout=30_000)
