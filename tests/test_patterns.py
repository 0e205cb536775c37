"""Pattern notebooks: what ``%%track`` records from cells written as real notebooks write them.

Each ``tests/patterns/<name>.py`` is a notebook in the percent format: cells are separated by
``# %%`` lines; a tracked cell's marker is ``# %% track`` (``# %% track nondeterministic``
when its metrics may change from one execution to the next). A tracked cell starts with
its expectations, written before it ever ran::

    # expect params: C, penalty          params the run must record
    # expect metrics: acc                scalar metrics (one value each)
    # expect histories: losses           stepped metrics (steps 0..n-1)
    # expect tables: tables/score_df.csv table artifacts
    # expect models: clf                 models (artifacts named by their variable)
    # expect inputs: df                  names fingerprinted as the run's inputs
    # expect input columns df: a, c      the fingerprint's columns, exactly
    # expect output: some text           the run's printed output contains it (repeatable)
    # expect warning: MyLR               an NbtrackWarning line of the cell names it
    # expect export: class MyLR          a code cell of the run's export contains it
    # timing: elapsed                    timing metrics (reproduce does not judge them)
    # acceptable: h                      may be recorded without being wrong

Every param, metric, table or model a run records that is not expected and not
acceptable is junk and fails the test. The params of a saved model ``m`` (``m.<param>``)
are acceptable by default.

Each pattern runs twice in real kernels (nbclient): tracked (``%load_ext nbtrack`` first,
``%%track`` on the tracked cells) and as an untracked twin. Both run once per module; the
tests share the results.

* ``test_tracking_leaves_outputs_unchanged``: the cells print and return the same things.
* ``test_run_records_expectations``: one test per tracked cell.
* ``test_run_reproduces``: one test per deterministic tracked cell: export and reproduce.

Runs are matched to cells by their stored cell source, in start-time order.
"""

from __future__ import annotations

import os
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import pytest

import nbtrack
from nbtrack import tracking
from nbtrack.store import open_store

pytestmark = pytest.mark.patterns

#: ``NBTRACK_PATTERNS=/some/folder`` runs the same checks on another folder of pattern files
#: (third-party notebooks converted for validation, which stay out of the repository).
PATTERNS = Path(os.environ.get("NBTRACK_PATTERNS")
                or Path(__file__).resolve().parent / "patterns")
CELL_MARKER = re.compile(r"^# %%(?P<rest>.*)$")
LIST_KEYS = {"params", "metrics", "histories", "tables", "models", "inputs"}
TEXT_KEYS = {"output", "warning", "export"}
MODEL_PREFIX = ""  # models are saved under their variable name, as load_model(name) reads them
TABLE_PREFIX = "tables/"
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
KERNEL_FILE = re.compile(r"/ipykernel_\d+/")


# --------------------------------------------------------------------------- patterns

@dataclass
class Cell:
    """One cell of a pattern file."""

    pattern: str
    number: int  # 1-based position among the pattern's cells
    line: int  # line of its marker in the file
    source: str
    tracked: bool = False
    deterministic: bool = True
    expect: dict[str, list[str]] = field(default_factory=dict)
    columns: dict[str, list[str]] = field(default_factory=dict)
    timing: list[str] = field(default_factory=list)
    acceptable: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.pattern}.py cell {self.number} (line {self.line})"

    def wants(self, key: str) -> list[str]:
        return self.expect.get(key, [])


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.split(",") if n.strip()]


def _parse_expectations(cell: Cell) -> None:
    lines = cell.source.splitlines()
    for offset, line in enumerate(lines):
        where = f"{cell.pattern}.py line {cell.line + 1 + offset}"
        if line.startswith("# expect input columns "):
            name, sep, cols = line[len("# expect input columns "):].partition(":")
            if not sep or not IDENTIFIER.match(name.strip()):
                raise ValueError(f"{where}: write '# expect input columns NAME: a, b'")
            cell.columns[name.strip()] = _names(cols)
        elif line.startswith("# expect "):
            key, sep, value = line[len("# expect "):].partition(":")
            key = key.strip()
            if not sep or key not in LIST_KEYS | TEXT_KEYS:
                raise ValueError(f"{where}: unknown expectation {line!r} (keys: "
                                 f"{sorted(LIST_KEYS | TEXT_KEYS)}, 'input columns NAME')")
            if key in TEXT_KEYS:
                cell.expect.setdefault(key, []).append(value.strip())
            else:
                cell.expect.setdefault(key, []).extend(_names(value))
        elif line.startswith("# timing:"):
            cell.timing += _names(line[len("# timing:"):])
        elif line.startswith("# acceptable:"):
            cell.acceptable += _names(line[len("# acceptable:"):])
        else:
            break
    for name in cell.timing:
        if name not in cell.wants("metrics") + cell.wants("histories") + cell.acceptable:
            raise ValueError(f"{cell.label}: timing metric {name!r} is neither expected "
                             "nor acceptable")


def parse_pattern(path: Path) -> list[Cell]:
    """The cells of a percent-format file (text before the first marker is a header)."""
    cells: list[Cell] = []
    current: Cell | None = None
    body: list[str] = []

    def close() -> None:
        if current is not None:
            current.source = "\n".join(body).strip("\n")
            if current.tracked:
                _parse_expectations(current)
            cells.append(current)

    for number, line in enumerate(path.read_text().splitlines(), start=1):
        marker = CELL_MARKER.match(line)
        if marker is None:
            body.append(line)
            continue
        close()
        words = marker["rest"].split()
        if words and words[0] != "track":
            raise ValueError(f"{path.name} line {number}: unknown cell marker {line!r}")
        if words[1:] not in ([], ["nondeterministic"]):
            raise ValueError(f"{path.name} line {number}: unknown marker words {words[1:]}")
        current = Cell(path.stem, len(cells) + 1, number, "", tracked=bool(words),
                       deterministic="nondeterministic" not in words)
        body = []
    close()
    if not any(c.tracked for c in cells):
        raise ValueError(f"{path.name} has no tracked cell")
    return cells


PATTERN_CELLS = {p.stem: parse_pattern(p) for p in sorted(PATTERNS.glob("*.py"))}
TRACKED = [c for cells in PATTERN_CELLS.values() for c in cells if c.tracked]


def _kernel_notebook(cells: list[Cell], tracked: bool) -> Any:
    nb = nbformat.v4.new_notebook()
    sources = ["%load_ext nbtrack"] if tracked else []
    sources += [("%%track\n" + c.source) if tracked and c.tracked else c.source
                for c in cells]
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    return nb


# --------------------------------------------------------------------------- execution

@dataclass
class Executed:
    """One pattern executed tracked and untracked, and the runs the tracked one left."""

    cells: list[Cell]
    store_dir: Path
    tracked_nb: Any
    twin_nb: Any
    failures: list[str]
    runs: list[str]  # run ids, by start time, recorded by the tracked execution
    sources: dict[str, str | None]  # run id -> the cell source stored in its context

    def cell_outputs(self, cell: Cell, tracked: bool) -> list[Any]:
        nb = self.tracked_nb if tracked else self.twin_nb
        return nb.cells[cell.number - 1 + (1 if tracked else 0)].outputs


def _execute(nb: Any, folder: Path, env: dict[str, str]) -> str | None:
    from nbclient import NotebookClient

    folder.mkdir(parents=True, exist_ok=True)
    try:
        NotebookClient(nb, timeout=180, kernel_name="python3",
                       resources={"metadata": {"path": str(folder)}}).execute(env=env)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"[-3000:]
    return None


_CACHE: dict[str, Executed] = {}
_LOCK = threading.Lock()


@pytest.fixture(scope="session")
def _pattern_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("patterns")


def executed(name: str, root: Path) -> Executed:
    """Execute a pattern tracked and untracked (in parallel, once per session)."""
    with _LOCK:
        if name in _CACHE:
            return _CACHE[name]
        cells = PATTERN_CELLS[name]
        folder = root / name
        store_dir = folder / ".nbtrack"
        env = dict(os.environ, NBTRACK_STORE=str(store_dir), MPLBACKEND="Agg")
        tracked_nb, twin_nb = _kernel_notebook(cells, True), _kernel_notebook(cells, False)
        with ThreadPoolExecutor(2) as pool:
            jobs = [pool.submit(_execute, tracked_nb, folder / "tracked", env),
                    pool.submit(_execute, twin_nb, folder / "untracked",
                                {k: v for k, v in env.items() if k != "NBTRACK_STORE"})]
            errors = [job.result() for job in jobs]
        failures = [f"{name}.py {kind} notebook failed: {err}"
                    for kind, err in zip(("tracked", "untracked"), errors) if err]
        runs: list[str] = []
        sources: dict[str, str | None] = {}
        if store_dir.exists():
            store = open_store(str(store_dir))
            try:
                table = store.search()
                order = sorted(zip(table.base["start_time"], table.base["run_id"]))
                runs = [run_id for _, run_id in order]
                sources = {r: store.get_context(r).get("source") for r in runs}
            finally:
                store.close()
        # kept for whoever reads a failure: the executed notebooks, beside the store
        nbformat.write(tracked_nb, folder / "tracked.ipynb")
        nbformat.write(twin_nb, folder / "untracked.ipynb")
        result = Executed(cells, store_dir, tracked_nb, twin_nb, failures, runs, sources)
        _CACHE[name] = result
        return result


def _use_store(monkeypatch: pytest.MonkeyPatch, ex: Executed) -> None:
    monkeypatch.setenv("NBTRACK_STORE", str(ex.store_dir))
    monkeypatch.setattr(tracking, "_process_tracker", None)


def run_of(ex: Executed, cell: Cell) -> str:
    """The run of a tracked cell: tracked cells and runs are paired in order, each run
    matched by the source stored in its context."""
    if ex.failures:
        pytest.fail("\n".join(ex.failures))
    remaining = list(ex.runs)
    for c in ex.cells:
        if not c.tracked:
            continue
        found = next((r for r in remaining if (ex.sources[r] or "").strip() == c.source), None)
        if found is None:
            recorded = [(r, (ex.sources[r] or "").strip().splitlines()[-1:]) for r in ex.runs]
            pytest.fail(f"{c.label}: no run recorded this cell's source (after the runs of "
                        f"the cells before it); runs (id, last source line): {recorded}")
        remaining = remaining[remaining.index(found) + 1:]
        if c is cell:
            return found
    raise AssertionError(f"{cell.label} is not a tracked cell")


# --------------------------------------------------------------------------- outputs

NBTRACK_MIME = ("application/vnd.jupyter.widget-view+json",)


def _comparable(outputs: list[Any]) -> dict[str, str]:
    """Stream text (stdout, stderr without NbtrackWarning lines) and results' text/plain."""
    out = {"stdout": "", "stderr": "", "result": "", "error": ""}
    for o in outputs:
        if o.output_type == "stream":
            out[o.name] += o.text
        elif o.output_type == "execute_result":
            out["result"] += o.data.get("text/plain", "") + "\n"
        elif o.output_type == "error":
            out["error"] += f"{o.ename}: {o.evalue}\n"
    out["stderr"] = "".join(line for line in out["stderr"].splitlines(keepends=True)
                            if "NbtrackWarning" not in line)
    # reprs that show an object's address (``<Figure ... at 0x7f...>``) and warnings that
    # name the kernel's own file for the cell (``/tmp/ipykernel_1234/...``) differ between
    # any two executions
    return {kind: KERNEL_FILE.sub("/ipykernel_…/", ADDRESS.sub(" at 0x…", text))
            for kind, text in out.items()}


def _stderr_warnings(outputs: list[Any]) -> list[str]:
    return [line for o in outputs if o.output_type == "stream" and o.name == "stderr"
            for line in o.text.splitlines() if "NbtrackWarning" in line]


# --------------------------------------------------------------------------- tests

@pytest.mark.parametrize("name", sorted(PATTERN_CELLS))
def test_tracking_leaves_outputs_unchanged(name: str, _pattern_root: Path) -> None:
    ex = executed(name, _pattern_root)
    if ex.failures:
        pytest.fail("\n".join(ex.failures))
    problems = []
    for cell in ex.cells:
        tracked = _comparable(ex.cell_outputs(cell, True))
        twin = _comparable(ex.cell_outputs(cell, False))
        for kind in tracked:
            if tracked[kind] != twin[kind]:
                problems.append(f"{cell.label}: {kind} differs\n  tracked:   "
                                f"{tracked[kind]!r}\n  untracked: {twin[kind]!r}")
    assert not problems, "\n".join(problems)


def _model_params_ok(key: str, models: list[str]) -> bool:
    return any(key.startswith(m + ".") and IDENTIFIER.match(key[len(m) + 1:]) for m in models)


@pytest.mark.parametrize("cell", TRACKED, ids=[f"{c.pattern}-cell{c.number}" for c in TRACKED])
def test_run_records_expectations(cell: Cell, _pattern_root: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    ex = executed(cell.pattern, _pattern_root)
    run_id = run_of(ex, cell)
    _use_store(monkeypatch, ex)
    run = nbtrack.get_run(run_id)
    context = nbtrack.tracker().store.get_context(run_id)
    assert run.status.value == "FINISHED", f"{cell.label}: run {run_id} is " \
        f"{run.status.value}: {run.error}"
    problems: list[str] = []
    acceptable = set(cell.acceptable)
    models = cell.wants("models")
    saved = [a.name[len(MODEL_PREFIX):] if a.name.startswith(MODEL_PREFIX) else a.name
             for a in run.artifacts if a.kind == "model"]

    # params
    missing = [k for k in cell.wants("params") if k not in run.params]
    junk = sorted(k for k in run.params if k not in cell.wants("params")
                  and k not in acceptable and not _model_params_ok(k, models + saved))
    if missing:
        problems.append(f"missing params: {missing} (recorded: {sorted(run.params)})")
    if junk:
        problems.append(f"junk params: {junk}")

    # metrics and histories
    expected_metrics = cell.wants("metrics") + cell.wants("histories")
    missing = [k for k in expected_metrics if k not in run.metrics]
    junk = sorted(k for k in run.metrics if k not in expected_metrics and k not in acceptable)
    if missing:
        problems.append(f"missing metrics: {missing} (recorded: {sorted(run.metrics)})")
    if junk:
        problems.append(f"junk metrics: {junk}")
    for key in cell.wants("metrics"):
        if key in run.metrics:
            steps = list(run.history(key)["step"])
            if len(steps) != 1:
                problems.append(f"metric {key!r} should be one value, recorded at steps {steps}")
    for key in cell.wants("histories"):
        if key in run.metrics:
            steps = list(run.history(key)["step"])
            if len(steps) < 2 or steps != list(range(len(steps))):
                problems.append(f"history {key!r} should be stepped 0..n-1 (n >= 2), "
                                f"recorded at steps {steps}")

    # artifacts: tables and models
    names = {a.name: a for a in run.artifacts}
    model_artifacts = sorted(a.name for a in run.artifacts if a.kind == "model")
    wanted_models = [MODEL_PREFIX + m for m in models]
    # saved, but under the bare variable name rather than models/<name>: one defect, not
    # a missing model plus a junk one
    misnamed = [m for m in models if MODEL_PREFIX + m not in names and m in model_artifacts]
    missing = [m for m in wanted_models if m not in names and m[len(MODEL_PREFIX):]
               not in misnamed]
    wrong_kind = [m for m in wanted_models if m in names and names[m].kind != "model"]
    junk = [a for a in model_artifacts if a not in wanted_models and a not in misnamed
            and a not in {MODEL_PREFIX + n for n in acceptable}]
    if misnamed:
        problems.append(f"models named without the {MODEL_PREFIX!r} prefix: {misnamed} "
                        f"(expected {[MODEL_PREFIX + m for m in misnamed]})")
    if missing:
        problems.append(f"missing models: {missing} (model artifacts recorded: "
                        f"{model_artifacts})")
    if wrong_kind:
        problems.append(f"not stored as models: {wrong_kind}")
    if junk:
        problems.append(f"junk models: {junk}")
    tables = sorted(n for n in names if n.startswith(TABLE_PREFIX))
    missing = [t for t in cell.wants("tables") if t not in names]
    junk = [t for t in tables if t not in cell.wants("tables") and t not in acceptable]
    if missing:
        problems.append(f"missing tables: {missing} (artifacts recorded: {sorted(names)})")
    if junk:
        problems.append(f"junk tables: {junk}")

    # inputs
    inputs = context.get("inputs") or {}
    missing = [n for n in cell.wants("inputs") if n not in inputs]
    if missing:
        problems.append(f"missing inputs: {missing} (recorded: {sorted(inputs)})")
    for name, columns in cell.columns.items():
        got = (inputs.get(name) or {}).get("columns")
        if got != columns:
            problems.append(f"input {name!r} should be fingerprinted as it was before the "
                            f"cell ran, columns {columns}; recorded columns {got}")

    # printed output
    stdout = "".join(o.text for o in ex.cell_outputs(cell, True)
                     if o.output_type == "stream" and o.name == "stdout")
    output = context.get("output")
    if stdout.strip() and (not isinstance(output, str) or stdout.strip() not in output):
        problems.append(f"context 'output' should contain the cell's printed text "
                        f"{stdout.strip()[:200]!r}; recorded {output!r}")
    for text in cell.wants("output"):
        if not isinstance(output, str) or text not in output:
            problems.append(f"context 'output' should contain {text!r}; recorded {output!r}")

    # warnings in the cell's output
    warned = _stderr_warnings(ex.cell_outputs(cell, True))
    for text in cell.wants("warning"):
        if not any(text in line for line in warned):
            problems.append(f"no NbtrackWarning naming {text!r} in the cell's stderr "
                            f"(NbtrackWarning lines: {warned})")

    assert not problems, f"{cell.label}, run {run_id}:\n  " + "\n  ".join(problems)


DETERMINISTIC = [c for c in TRACKED if c.deterministic]


def _shape(fingerprint: dict[str, Any] | None) -> str:
    if fingerprint is None:
        return "nothing"
    columns = fingerprint.get("columns")
    return f"shape {fingerprint.get('shape')}" + (f", columns {columns}" if columns else "")


@pytest.mark.parametrize("cell", DETERMINISTIC,
                         ids=[f"{c.pattern}-cell{c.number}" for c in DETERMINISTIC])
def test_run_reproduces(cell: Cell, _pattern_root: Path, tmp_path: Path,
                        monkeypatch: pytest.MonkeyPatch) -> None:
    ex = executed(cell.pattern, _pattern_root)
    run_id = run_of(ex, cell)
    _use_store(monkeypatch, ex)
    exported = nbtrack.export(run_id, str(tmp_path / "export.ipynb"))
    nb = nbformat.read(exported.notebook, as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    for text in cell.wants("export"):
        assert any(text in source for source in code), \
            f"{cell.label}: the export of run {run_id} has no cell containing {text!r}; " \
            f"its code cells:\n" + "\n---\n".join(code)
    # the cells the run depended on come before it; the run's own cell is not one of them
    again = [c.metadata["nbtrack"]["history_cell"] for c in nb.cells
             if c.cell_type == "code" and "history_cell" in c.metadata.get("nbtrack", {})
             and cell.source in c.source]
    problems = [f"the export runs the run's own cell before it, as history cell(s) {again}"
                ] if again else []
    result = nbtrack.reproduce(run_id)
    assert result.new_run is not None, f"{cell.label}: reproducing {run_id} recorded no run"
    recorded = nbtrack.get_run(run_id).metrics
    verdicts = {v.metric: v for v in result.verdicts}
    problems += [f"metric {k!r}: no verdict" for k in recorded
                 if k not in verdicts and k not in cell.timing]
    # the reproduced run read the same data as the original
    store = nbtrack.tracker().store
    before = store.get_context(run_id).get("inputs") or {}
    after = store.get_context(result.new_run).get("inputs") or {}
    for name, fp in before.items():
        now = after.get(name)
        if now is None or now.get("sha256") != fp.get("sha256"):
            problems.append(f"input {name!r} differs in the reproduced run: recorded "
                            f"{_shape(fp)}, reproduced {_shape(now)}")
    for key, v in verdicts.items():
        if key in cell.timing:
            if v.verdict in ("differs", "missing"):
                problems.append(f"timing metric {key!r} was judged: {v.verdict} "
                                f"(recorded {v.recorded!r}, reproduced {v.reproduced!r})")
        elif v.verdict != "equal":
            problems.append(f"metric {key!r}: {v.verdict} (recorded {v.recorded!r}, "
                            f"reproduced {v.reproduced!r})")
    if not result.ok:
        problems.append("result.ok is False")
    assert not problems, f"{cell.label}, run {run_id} reproduced as {result.new_run}:\n  " \
        + "\n  ".join(problems) + f"\n{result}"
