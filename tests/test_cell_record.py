"""The record of where a run came from: typed, stored as entries, read from Run.record."""

from __future__ import annotations

import pytest

from nbtrack.cell_record import CellRecord
from nbtrack.errors import StoreError
from nbtrack.entities import Run
from tracked_cells import run_tracked


def test_entries_round_trip_and_unknown_names_are_kept_apart():
    record = CellRecord(source="x = 1", execution_count=3, history=({"n": 1, "source": "a"},),
                        timing=("fit_time",), inputs={"df": {"rows": 2}},
                        extra={"dataset": "iris"})
    stored = record.to_dict()
    assert stored == {"source": "x = 1", "execution_count": 3,
                      "history": [{"n": 1, "source": "a"}], "timing": ["fit_time"],
                      "inputs": {"df": {"rows": 2}}, "dataset": "iris"}
    assert CellRecord.from_dict(stored) == record


def test_what_was_not_recorded_is_not_stored_and_checked_and_empty_is_kept():
    assert CellRecord(source="", output=None, hidden_state=()).to_dict() == \
        {"source": "", "hidden_state": []}
    assert CellRecord.from_dict({"source": "x"}).hidden_state is None


def test_a_tracked_cells_run_gives_its_code_inputs_and_environment_from_python(ip):
    run = run_tracked(ip, "import pandas as pd\ndf = pd.DataFrame({'a': [1.0, 2.0, 3.0]})",
                      "df['b'] = df['a'] * 2\nprint('rows', len(df))\ntotal = float(df['b'].sum())")
    record = run.record
    assert record.source.rstrip("\n") == "df['b'] = df['a'] * 2\nprint('rows', len(df))\n" \
                                         "total = float(df['b'].sum())"
    assert record.inputs["df"]["columns"] == ["a"], "fingerprinted before the cell changed it"
    assert record.output == "rows 3\n"
    assert record.environment["python"].count(".") == 2
    assert record.system["wall_time_s"] > 0
    assert record.history[-1]["source"].startswith("import pandas")
    assert record.hidden_state == ()


def test_a_run_built_by_hand_has_no_record_to_read():
    with pytest.raises(StoreError, match="not read from a store"):
        _ = Run("r-0000000000000000").record
