"""The one-click "compare the runs of this cell" button shown under a tracked cell."""

from __future__ import annotations

from typing import Any

import anywidget
import ipywidgets
import traitlets

from ..store import Store


__all__ = ["CellCompareButton", "cell_compare_box"]

_ESM = """
function render({ model, el }) {
  const button = document.createElement("button");
  button.className = "nbtrack-cell-compare";
  button.textContent = model.get("label");
  button.addEventListener("click", () => {
    model.set("clicks", model.get("clicks") + 1);
    model.save_changes();
  });
  model.on("change:label", () => { button.textContent = model.get("label"); });
  el.append(button);
}
export default { render };
"""


class CellCompareButton(anywidget.AnyWidget):
    """A button; each click increments ``clicks`` (the kernel reacts)."""

    _esm = _ESM
    label = traitlets.Unicode("compare").tag(sync=True)
    clicks = traitlets.Int(0).tag(sync=True)


def cell_compare_box(store: Store, cell_id: str, count: int) -> Any:
    """A button that opens the comparison of a cell's runs right under it.

    Parameters
    ----------
    store : Store
    cell_id : str
        The cell whose runs to compare.
    count : int
        How many runs the cell has (for the label).
    """
    from ..filters import by_cell
    from .compare import CompareView

    button = CellCompareButton(label=f"compare the {count} runs of this cell")
    output = ipywidgets.Output()

    def open_comparison(change: dict[str, Any]) -> None:
        with output:  # errors inside observers are otherwise lost
            output.clear_output()
            view = CompareView(store, by_cell(cell_id), None)
            output.append_display_data(view.static)
            output.append_display_data(view.widget)

    button.observe(open_comparison, names=["clicks"])
    return ipywidgets.VBox([button, output])
