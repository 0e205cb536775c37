/**
 * The JSON the nbtrack server extension sends, mirrored from
 * `nbtrack/server/routes.py` (runs come from `views.table.records`).
 */

/** A run's status, as the store records it. */
export type RunStatus = 'RUNNING' | 'FINISHED' | 'FAILED' | 'INTERRUPTED' | 'KILLED';

/** A param value: JSON scalars or containers of them. */
export type ParamValue =
  | string
  | number
  | boolean
  | null
  | ParamValue[]
  | { [key: string]: ParamValue };

/** A metric's latest value; non-finite numbers arrive as the strings "nan", "inf", "-inf". */
export type MetricValue = number | string;

/** One row of a runs listing. */
export interface IRunRow {
  run_id: string;
  name: string | null;
  status: RunStatus;
  experiment: string;
  start_time: number;
  duration: number | null;
  cell_id: string | null;
  params: Record<string, ParamValue>;
  metrics: Record<string, MetricValue>;
  headline: string | null;
}

/** `GET /nbtrack/api/runs`. */
export interface IRunsPage {
  runs: IRunRow[];
  total: number;
  differing_params: string[];
  store: string;
  exists: boolean;
}

/** One artifact of a run. */
export interface IArtifact {
  name: string;
  kind?: string;
  size?: number;
  [key: string]: unknown;
}

/** `GET /nbtrack/api/runs/<id>`. */
export interface IRunDetail extends Omit<IRunRow, 'headline'> {
  end_time: number | null;
  tags: Record<string, string>;
  artifacts: IArtifact[];
  parent_run_id: string | null;
  error: string | null;
  headline: string | null;
  /** The model versions (`NAME/3`) the run's models were registered as. */
  registered_as?: string[];
  /** For a monitoring check: what its latest window found. */
  monitor?: IMonitorCheck;
  context: {
    notebook?: string | null;
    hidden_state?: string[] | null;
    previous_run_id?: string | null;
    source?: string | null;
    /** What the cell printed (its start, when long). */
    output?: string | null;
    /** Metrics that are timing figures: shown, never compared by reproduce. */
    timing?: string[] | null;
    system?: Record<string, unknown> | null;
  };
}

/** One point of a metric's history. */
export interface IMetricPoint {
  step: number;
  value: MetricValue;
  timestamp: number;
}

/** `GET /nbtrack/api/runs/<id>/metrics/<key>`. */
export interface IMetricHistory {
  run_id: string;
  key: string;
  points: IMetricPoint[];
}

/** What the store knows of one notebook cell. */
export interface ICellRuns {
  latest: IRunRow;
  count: number;
}

/** `GET /nbtrack/api/cells`. */
export interface ICellsReply {
  cells: Record<string, ICellRuns>;
  store: string;
}

/** `POST /nbtrack/api/runs/<id>/export`. */
export interface IExportReply {
  path: string;
  requirements: string;
  warnings: string[];
}

/** What a monitoring check found, most severe first (`monitor_checks.VERDICTS`). */
export type MonitorVerdict =
  | 'rule_fired'
  | 'drifted'
  | 'insufficient_data'
  | 'no_inputs'
  | 'no_drift';

/** One feature of a check's latest window. */
export interface IDriftFeature {
  feature: string;
  psi: MetricValue | null;
  /** The test's p-value (null or "nan" when the feature could not be tested). */
  p: MetricValue | null;
  severity: 'none' | 'moderate' | 'major';
}

/** A stored monitoring check (a run tagged `nbtrack.kind=monitor`), its latest window. */
export interface IMonitorCheck {
  run_id: string;
  /** When the check ran (seconds since the epoch). */
  time: number;
  /** The checked model and version; null for an `nbtrack.drift(...)` check. */
  model: string | null;
  version: number | null;
  /** `last` (the latest requests), a window length such as `1d`, or null. */
  window: string | null;
  windows: number;
  verdict: MonitorVerdict;
  /** The drift verdict alone (never `rule_fired`). */
  drift: Exclude<MonitorVerdict, 'rule_fired'>;
  share: MetricValue | null;
  max_psi: MetricValue | null;
  requests: MetricValue | null;
  error_rate: MetricValue | null;
  rule: { rule: string; fired: boolean } | null;
  /** Largest PSI first (the Models endpoint sends the first few). */
  features: IDriftFeature[];
  /** How many features have figures. */
  tested: number;
}

/** One registered version of a model. */
export interface IModelVersionRow {
  version: number;
  run_id: string;
  created: number;
  created_by: string;
  format: string;
  digest: string;
  metrics: Record<string, MetricValue>;
  aliases: string[];
  /** Its latest monitoring check; null when it was never checked. */
  monitor?: IMonitorCheck | null;
}

/** One change to the registry. */
export interface IRegistryEvent {
  ts: number;
  op: 'register' | 'set_alias' | 'delete_alias' | 'delete_version';
  version: number | null;
  alias: string | null;
  old: number | null;
  new: number | null;
  user: string;
}

/** A registered model: its versions, aliases and history. */
export interface IRegisteredModel {
  name: string;
  aliases: Record<string, number>;
  versions: IModelVersionRow[];
  history: IRegistryEvent[];
}

/** `GET /nbtrack/api/models`. */
export interface IModelsReply {
  models: IRegisteredModel[];
  store: string;
  exists: boolean;
}

/** A query for the runs listing. */
export interface IRunsQuery {
  /** The notebook (or folder) whose store is listed, relative to the server root. */
  path: string;
  filter?: string;
  sort?: string;
  limit?: number;
  offset?: number;
  /** Only these runs (full ids). */
  ids?: string[];
}

/** Runs side by side, as the compare panel shows them. */
export interface IComparison {
  /** In the order they were asked for. */
  runs: IRunRow[];
  /** Params whose value is not the same in every run, as the server judges it. */
  differing_params: string[];
}
