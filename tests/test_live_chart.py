"""The live chart under a running %%track cell: throttled, in place, one final image."""

from __future__ import annotations

import base64


from nbtrack.views import live as live_module
from nbtrack.views.live import LiveChart


def test_updates_are_throttled_and_the_last_state_is_drawn(monkeypatch):
    clock = [100.0]
    monkeypatch.setattr(live_module.time, "monotonic", lambda: clock[0])
    shown = []
    chart = LiveChart("r-1", publish=lambda bundle, first: shown.append((first, bundle)))
    for step in range(1000):
        clock[0] += 0.001  # 1,000 points in one second
        chart("r-1", "loss", 1.0 / (step + 1), step)
        chart("r-other", "loss", 5.0, step)
    assert 1 <= len(shown) <= 3, "at most two redraws a second"
    chart.close()
    assert shown[0][0] is True and all(first is False for first, _ in shown[1:])
    final = shown[-1][1]
    assert base64.b64decode(final["image/png"])[:8] == b"\x89PNG\r\n\x1a\n"
    assert chart.series["loss"][0][-1] == 999 and len(chart.series) == 1


def test_a_cell_with_a_stepped_loop_leaves_one_updated_output(ip):
    published = []
    original = ip.display_pub.publish

    def capture(data, metadata=None, transient=None, update=False, **kwargs):
        published.append(((transient or {}).get("display_id"), update, sorted(data)))

    ip.display_pub.publish = capture
    try:
        result = ip.run_cell("%%track --quiet\nimport time, nbtrack\nfor step in range(12):\n"
                             "    nbtrack.log_metric('loss', 1 / (step + 1))\n"
                             "    time.sleep(0.1)\n", store_history=True)
    finally:
        ip.display_pub.publish = original
    assert result.success
    live = [p for p in published if p[0] and p[0].startswith("nbtrack-live-")]
    assert live and live[0][1] is False and all(update for _, update, _ in live[1:])
    assert len({p[0] for p in live}) == 1, "one display, updated in place"
    assert 2 <= len(live) <= 5, "about two updates a second over ~1.2 s, plus the final one"


def test_no_live_option(ip):
    published = []
    original = ip.display_pub.publish
    ip.display_pub.publish = lambda data, **kw: published.append(data)
    try:
        ip.run_cell("%%track --quiet --no-live\nimport nbtrack\nfor s in range(5):\n"
                    "    nbtrack.log_metric('loss', s)", store_history=True)
    finally:
        ip.display_pub.publish = original
    assert not any("image/png" in d for d in published)
