"""Runs side by side as a table: which params differ, as text (terminal) or HTML (static)."""

from __future__ import annotations

import html
import math
from typing import Any

from ..report import format_cell
from ..store.contract import RunTable

__all__ = ["differing_params", "text_table", "html_table", "render_text"]


def _same(values: list[Any]) -> bool:
    first = values[0]
    for value in values[1:]:
        if isinstance(value, float) and isinstance(first, float) and math.isnan(value) \
                and math.isnan(first):
            continue
        if value != first or type(value) is not type(first):
            return False
    return True


def differing_params(table: RunTable) -> list[str]:
    """Params whose value is not the same for every run shown (a missing value differs)."""
    return [key for key, values in sorted(table.params.items()) if not _same(values)]


def _columns(table: RunTable, only_differences: bool, wide: bool) -> tuple[list[str], list[str]]:
    params = differing_params(table) if only_differences else sorted(table.params)
    if not wide:
        params = [k for k in params if "." not in k]
    return params, sorted(table.metrics)


def render_text(headers: list[str], rows: list[list[str]], width: int | None = None,
                cap: int | None = 40) -> str:
    """Columns padded to their widest cell (cut at ``cap`` characters), a rule under the
    headers.

    With ``width`` (a terminal's), the columns that do not fit are left out and a last
    line says how many and how to see them.
    """
    widths = [max([len(h)] + [len(r[j]) for r in rows]) for j, h in enumerate(headers)]
    if cap is not None:
        widths = [min(w, cap) for w in widths]
    shown = len(headers)
    if width is not None:
        used = 0
        for j, w in enumerate(widths):
            used += w + (2 if j else 0)
            if used > width and j > 0:
                shown = j
                break

    def line(cells: list[str]) -> str:
        return "  ".join(c[:w].ljust(w) for c, w in zip(cells[:shown], widths)).rstrip()

    lines = [line(headers), line(["-" * w for w in widths])] + [line(r) for r in rows]
    if shown < len(headers):
        hidden = len(headers) - shown
        lines.append(f"... {hidden} more column{'s' * (hidden != 1)} "
                     f"({', '.join(headers[shown:shown + 3])}{', ...' * (hidden > 3)}): "
                     "--wide shows every column")
    return "\n".join(lines)


def text_table(table: RunTable, only_differences: bool = False, wide: bool = False,
               width: int | None = None) -> str:
    """A terminal table; params that differ across the runs are marked with ``*``."""
    params, metrics = _columns(table, only_differences, wide)
    differ = set(differing_params(table))
    headers = ["run_id", "name", "status", "duration"] + \
        [f"{'*' if k in differ else ''}params.{k}" for k in params] + \
        [f"metrics.{k}" for k in metrics]
    rows = []
    for i, run_id in enumerate(table.base["run_id"]):
        start, end = table.base["start_time"][i], table.base["end_time"][i]
        rows.append([run_id, format_cell(table.base["name"][i]), table.base["status"][i],
                     "" if end is None else f"{end - start:.2f}s"]
                    + [format_cell(table.params[k][i]) for k in params]
                    + [format_cell(table.metrics[k][i]) for k in metrics])
    text = render_text(headers, rows, None if wide else width, None if wide else 40)
    if differ:
        text += f"\n* differs across these {len(rows)} runs"
    return text


def html_table(table: RunTable, only_differences: bool = False, wide: bool = False) -> str:
    """A self-contained HTML table (every value escaped; differing params highlighted)."""
    params, metrics = _columns(table, only_differences, wide)
    differ = set(differing_params(table))
    esc = html.escape
    head = "".join(
        f'<th style="background:#fff3cd">{esc(k)}</th>' if k in differ else f"<th>{esc(k)}</th>"
        for k in params)
    head = ("<tr><th>run</th><th>name</th><th>status</th><th>duration</th>" + head +
            "".join(f"<th>{esc(k)}</th>" for k in metrics) + "</tr>")
    body = []
    for i, run_id in enumerate(table.base["run_id"]):
        start, end = table.base["start_time"][i], table.base["end_time"][i]
        cells = [f"<td><code>{esc(run_id)}</code></td>",
                 f"<td>{esc(format_cell(table.base['name'][i]))}</td>",
                 f"<td>{esc(table.base['status'][i])}</td>",
                 f"<td>{'' if end is None else f'{end - start:.2f} s'}</td>"]
        cells += [f'<td style="background:#fff3cd">{esc(format_cell(table.params[k][i]))}</td>'
                  if k in differ else f"<td>{esc(format_cell(table.params[k][i]))}</td>"
                  for k in params]
        cells += [f"<td>{esc(format_cell(table.metrics[k][i]))}</td>" for k in metrics]
        body.append("<tr>" + "".join(cells) + "</tr>")
    return ('<table class="nbtrack-compare" style="border-collapse:collapse;font-size:12px">'
            f"<thead>{head}</thead><tbody>{''.join(body)}</tbody></table>")
