/**
 * How runs read in the sidebar, the badges and the panels: values, durations,
 * ages, status glyphs and the headline metric.
 */
import type { IRunRow, MetricValue, ParamValue, RunStatus } from './tokens';

/** Glyph, CSS modifier and word for each status (the same glyphs as the cell summary). */
export const STATUS: Record<RunStatus, { glyph: string; mod: string; word: string }> = {
  RUNNING: { glyph: '○', mod: 'running', word: 'running' },
  FINISHED: { glyph: '●', mod: 'finished', word: 'finished' },
  FAILED: { glyph: '✖', mod: 'failed', word: 'failed' },
  INTERRUPTED: { glyph: '■', mod: 'interrupted', word: 'interrupted' },
  KILLED: { glyph: '✖', mod: 'killed', word: 'killed' }
};

/** The status entry for any string (an unknown status reads as itself). */
export function statusOf(status: string): { glyph: string; mod: string; word: string } {
  return (
    STATUS[status as RunStatus] ?? { glyph: '●', mod: 'unknown', word: status.toLowerCase() }
  );
}

/** A number with four significant digits, like the cell summary (`0.9533`, `1.2e+04`). */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) {
    return Number.isNaN(value) ? 'nan' : value > 0 ? 'inf' : '-inf';
  }
  if (Number.isInteger(value) && Math.abs(value) < 1e15) {
    return String(value);
  }
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e15)) {
    return value.toExponential(3).replace(/\.?0+e/, 'e');
  }
  return String(Number(value.toPrecision(4)));
}

/** A param or metric value, short enough for a table cell (40 characters at most). */
export function formatValue(value: ParamValue | MetricValue | undefined): string {
  if (value === undefined) {
    return '';
  }
  if (typeof value === 'number') {
    return formatNumber(value);
  }
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length <= 40 ? text : text.slice(0, 37) + '...';
}

/** A duration in seconds: `0.037 s`, `12 s`, `3 min 05 s`, `2 h 04 min`. */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) {
    return '';
  }
  if (seconds < 10) {
    return `${Number(seconds.toPrecision(2))} s`;
  }
  if (seconds < 60) {
    return `${Math.round(seconds)} s`;
  }
  const total = Math.floor(seconds);
  if (total < 3600) {
    return `${Math.floor(total / 60)} min ${String(total % 60).padStart(2, '0')} s`;
  }
  const minutes = Math.floor(total / 60);
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** How long ago a run started: `just now`, `5 min ago`, `3 h ago`, `2 d ago`. */
export function formatAge(startTime: number, now: number = Date.now() / 1000): string {
  const seconds = Math.max(0, now - startTime);
  if (seconds < 45) {
    return 'just now';
  }
  if (seconds < 3600) {
    return `${Math.max(1, Math.round(seconds / 60))} min ago`;
  }
  if (seconds < 86400) {
    return `${Math.round(seconds / 3600)} h ago`;
  }
  return `${Math.round(seconds / 86400)} d ago`;
}

/** `acc=0.9533` for the run's headline metric, or '' when it has no metrics. */
export function headlineText(run: Pick<IRunRow, 'headline' | 'metrics'>): string {
  const key = run.headline;
  if (!key || !(key in run.metrics)) {
    return '';
  }
  return `${key}=${formatValue(run.metrics[key])}`;
}

/** The run's display name: its name, else its short id. */
export function runLabel(run: Pick<IRunRow, 'name' | 'run_id'>): string {
  return run.name || shortId(run.run_id);
}

/** The first 10 characters of a run id, as the cell summary shows it. */
export function shortId(runId: string): string {
  return runId.slice(0, 10);
}
