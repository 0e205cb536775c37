"""An :class:`~nbtrack.monitoring.evaluation.Evaluation` as a notebook report: static
HTML with the reliability curve drawn as inline SVG (nbconvert, nbviewer and GitHub show
it without a kernel), and the same content as plain text for terminals."""

from __future__ import annotations

import html
import math
from typing import Any

__all__ = ["evaluation_html", "evaluation_text", "reliability_svg", "TOP_FEATURES"]

#: features listed under importance and SHAP, largest first
TOP_FEATURES = 10
_SIZE, _PAD = 160, 26
_COLOURS = ("#1565c0", "#c62828", "#2e7d32", "#6a1b9a", "#ef6c00", "#00838f", "#5d4037",
            "#ad1457", "#558b2f", "#283593")


def _headline(metrics: dict[str, float]) -> dict[str, float]:
    return {k: v for k, v in metrics.items() if "." not in k}


def _top(metrics: dict[str, float], prefix: str) -> list[tuple[str, float]]:
    found = [(k[len(prefix):], v) for k, v in metrics.items() if k.startswith(prefix)]
    return sorted(found, key=lambda kv: -kv[1] if not math.isnan(kv[1]) else math.inf
                  )[:TOP_FEATURES]


def _curves(table: Any) -> list[tuple[str, Any]]:
    if "class" not in table.columns:
        return [("", table)]
    return [(str(label), part) for label, part in table.groupby("class", sort=False)]


def reliability_svg(table: Any) -> str:
    """The reliability curve(s) of a calibration table as an inline SVG: mean predicted
    probability across, fraction of positives up, the diagonal a perfectly calibrated
    model would follow dashed."""
    inner = _SIZE - 2 * _PAD

    def x(v: float) -> float:
        return _PAD + v * inner

    def y(v: float) -> float:
        return _SIZE - _PAD - v * inner

    parts = [f'<line x1="{x(0)}" y1="{y(0)}" x2="{x(1)}" y2="{y(1)}" stroke="#9e9e9e" '
             'stroke-dasharray="3,3"/>',
             f'<rect x="{x(0)}" y="{y(1)}" width="{inner}" height="{inner}" fill="none" '
             'stroke="#bdbdbd"/>']
    for tick in (0.0, 0.5, 1.0):
        parts.append(f'<text x="{x(tick):.1f}" y="{_SIZE - _PAD + 11}" font-size="9" '
                     f'text-anchor="middle">{tick:g}</text>')
        parts.append(f'<text x="{_PAD - 4}" y="{y(tick) + 3:.1f}" font-size="9" '
                     f'text-anchor="end">{tick:g}</text>')
    parts.append(f'<text x="{_SIZE / 2}" y="{_SIZE - 3}" font-size="9" text-anchor="middle">'
                 'mean predicted probability</text>')
    parts.append(f'<text x="9" y="{_SIZE / 2}" font-size="9" text-anchor="middle" '
                 f'transform="rotate(-90 9 {_SIZE / 2})">fraction of positives</text>')
    for i, (label, part) in enumerate(_curves(table)):
        colour = _COLOURS[i % len(_COLOURS)]
        points = [(x(m), y(f), int(b), m, f, int(n)) for b, m, f, n in
                  zip(part["bin"], part["mean_predicted"], part["fraction_positive"],
                      part["rows"], strict=True)]
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="'
                     + " ".join(f"{px:.1f},{py:.1f}" for px, py, *_ in points) + '"/>')
        for px, py, b, m, f, n in points:
            tip = f"{label + ': ' if label else ''}bin {b}: predicted {m:.3f}, " \
                  f"positive {f:.3f}, {n:,} rows"
            parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="2.5" fill="{colour}">'
                         f"<title>{html.escape(tip)}</title></circle>")
    legend = ""
    curves = _curves(table)
    if len(curves) > 1:
        legend = "<div>" + " ".join(
            f'<span style="color:{_COLOURS[i % len(_COLOURS)]}">■ {html.escape(label)}</span>'
            for i, (label, _) in enumerate(curves)) + "</div>"
    return (f'<div style="display:inline-block;font-size:11px"><svg width="{_SIZE}" '
            f'height="{_SIZE}" role="img" aria-label="reliability curve">{"".join(parts)}'
            f"</svg>{legend}</div>")


def _table(rows: list[list[str]], header: list[str] | None = None) -> str:
    head = "" if header is None else \
        "<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr>"
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
                   for row in rows)
    return f"<table>{head}{body}</table>"


def _section(title: str, content: str) -> str:
    return (f'<div style="display:inline-block;vertical-align:top;margin:0 18px 10px 0">'
            f"<p><b>{html.escape(title)}</b></p>{content}</div>")


def _figure(value: float) -> str:
    return f"{value:.4g}"


def _per_class(result: Any) -> list[list[str]]:
    """Per class of a multiclass evaluation: precision, recall, F1."""
    if len(result.labels) < 3:
        return []
    return [[str(label), *(_figure(result.metrics.get(f"{name}.{label}", math.nan))
                           for name in ("precision", "recall", "f1"))]
            for label in result.labels]


def _gaps(metrics: dict[str, float]) -> list[tuple[str, float]]:
    return [(k[len("fairness."):], v) for k, v in metrics.items() if k.startswith("fairness.")]


def evaluation_html(result: Any) -> str:
    """The report: headline figures, the confusion matrix, the reliability curve, the
    fairness table with its flags, and the top features by importance and by SHAP."""
    sections = [_section(f"{result.kind} evaluation, {result.rows:,} rows", _table(
        [[k, _figure(v)] for k, v in _headline(result.metrics).items()]))]
    per_class = _per_class(result)
    if per_class:
        sections.append(_section("per class", _table(per_class, ["class", "precision",
                                                                  "recall", "f1"])))
    if result.matrix:
        labels = [str(v) for v in result.labels]
        sections.append(_section("confusion matrix (rows: true, columns: predicted)", _table(
            [[label, *map(str, row)] for label, row in zip(labels, result.matrix,
                                                            strict=True)], ["", *labels])))
    if result.calibration is not None and len(result.calibration):
        sections.append(_section("reliability (10 equal bins)",
                                 reliability_svg(result.calibration)))
    for prefix, title in (("importance.", "permutation importance"),
                          ("shap.", "mean |SHAP value|")):
        top = _top(result.metrics, prefix)
        if top:
            sections.append(_section(title, _table([[k, _figure(v)] for k, v in top])))
    page = "".join(sections)
    if result.fairness is not None:
        flags = "".join(f'<li style="color:#c62828">{html.escape(f)}</li>'
                        for f in result.flags)
        page += _section(
            "by group (groups under 30 rows are shown, not counted in the differences)",
            result.fairness.to_html(index=False, float_format=_figure)
            + _table([[k, _figure(v)] for k, v in _gaps(result.metrics)])
            + (f"<ul>{flags}</ul>" if flags else ""))
    return f"<div class='nbtrack-evaluation'>{page}</div>"


def evaluation_text(result: Any) -> str:
    """The report as plain text, the same figures as :func:`evaluation_html`."""
    lines = [f"{result.kind} evaluation, {result.rows:,} rows"]
    lines += [f"  {k} = {v:.6g}" for k, v in _headline(result.metrics).items()]
    if result.matrix:
        lines.append("confusion matrix (rows: true, columns: predicted; labels "
                     f"{', '.join(map(str, result.labels))})")
        lines += ["  " + " ".join(f"{n:>7d}" for n in row) for row in result.matrix]
    for row in _per_class(result):
        lines.append(f"  class {row[0]}: precision {row[1]}, recall {row[2]}, f1 {row[3]}")
    if result.calibration is not None and len(result.calibration):
        lines.append("reliability (10 equal bins of predicted probability)")
        lines.append(result.calibration.to_string(index=False, float_format=_figure))
    for prefix, title in (("importance.", "permutation importance"),
                          ("shap.", "mean |SHAP value|")):
        top = _top(result.metrics, prefix)
        if top:
            lines.append(f"{title}: " + ", ".join(f"{k} {_figure(v)}" for k, v in top))
    if result.fairness is not None:
        lines.append("by group (groups under 30 rows are not counted in the differences)")
        lines.append(result.fairness.to_string(index=False, float_format=_figure))
        lines += [f"  {k} = {v:.6g}" for k, v in _gaps(result.metrics)]
        lines += [f"  flagged: {flag}" for flag in result.flags]
    return "\n".join(lines)
