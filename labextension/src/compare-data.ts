/**
 * What the compare panel shows, computed from the runs and the server's list of
 * params that differ: the table's columns (those params first, marked) and the
 * Vega-Lite spec of a metric's history across runs.
 */
import { formatValue, runLabel, shortId } from './format';
import type { IMetricHistory, IRunRow } from './tokens';

/** One column of the comparison table. */
export interface IColumn {
  /** `params.C`, `metrics.acc`, or a fixed column name. */
  key: string;
  label: string;
  /** True for a param whose value is not the same in every run. */
  differs: boolean;
}

/** The comparison table: columns and, per run, the text of each cell. */
export interface IComparisonTable {
  columns: IColumn[];
  rows: { run: IRunRow; cells: string[] }[];
}

/** Every metric key of the runs, sorted. */
export function metricKeys(runs: IRunRow[]): string[] {
  const keys = new Set<string>();
  runs.forEach(run => Object.keys(run.metrics).forEach(key => keys.add(key)));
  return [...keys].sort();
}

/**
 * The table of runs side by side: run, status, then the params in `differ`,
 * the other params (unless `onlyDifferences`), then every metric.
 */
export function comparisonTable(
  runs: IRunRow[],
  differ: string[],
  onlyDifferences = false
): IComparisonTable {
  const allParams = new Set<string>();
  runs.forEach(run => Object.keys(run.params).forEach(key => allParams.add(key)));
  const same = [...allParams].filter(key => !differ.includes(key)).sort();
  const columns: IColumn[] = [
    { key: 'run', label: 'run', differs: false },
    { key: 'status', label: 'status', differs: false },
    ...differ.map(key => ({ key: `params.${key}`, label: key, differs: true })),
    ...(onlyDifferences ? [] : same).map(key => ({
      key: `params.${key}`,
      label: key,
      differs: false
    })),
    ...metricKeys(runs).map(key => ({ key: `metrics.${key}`, label: key, differs: false }))
  ];
  const rows = runs.map(run => ({
    run,
    cells: columns.map(column => {
      if (column.key === 'run') {
        return runTitle(run);
      }
      if (column.key === 'status') {
        return run.status.toLowerCase();
      }
      const [kind, ...rest] = column.key.split('.');
      const key = rest.join('.');
      return formatValue(kind === 'params' ? run.params[key] : run.metrics[key]);
    })
  }));
  return { columns, rows };
}

/** `name (r-6fegfw1t)` for a named run, else the short id alone. */
export function runTitle(run: Pick<IRunRow, 'name' | 'run_id'>): string {
  return run.name ? `${runLabel(run)} (${shortId(run.run_id)})` : shortId(run.run_id);
}

/**
 * A Vega-Lite (v5) spec: one line per run of `key` by step, with tooltips,
 * `width` pixels wide (Vega cannot measure a container that is still laid out).
 */
export function historySpec(
  key: string,
  histories: IMetricHistory[],
  runs: IRunRow[],
  width = 640
): Record<string, unknown> {
  const labels = new Map(runs.map(run => [run.run_id, runTitle(run)]));
  const values = histories.flatMap(history =>
    history.points
      .filter(point => typeof point.value === 'number')
      .map(point => ({
        run: labels.get(history.run_id) ?? history.run_id,
        step: point.step,
        [key]: point.value
      }))
  );
  const single = histories.every(history => history.points.length <= 1);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `${key} by step`,
    width,
    height: 260,
    data: { values },
    mark: { type: single ? 'point' : 'line', point: !single, tooltip: true },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'step' },
      y: { field: key, type: 'quantitative', title: key, scale: { zero: false } },
      color: { field: 'run', type: 'nominal', title: 'run' }
    }
  };
}
