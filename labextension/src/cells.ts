/**
 * Which notebook cells carry a badge, and what it says.
 */
import { formatAge, headlineText, statusOf } from './format';
import type { ICellRuns } from './tokens';

/** True when the cell's code starts with the `%%track` cell magic. */
export function isTrackedSource(source: string): boolean {
  return /^\s*%%track(\s|$)/.test(source);
}

/** What a cell's badge shows. */
export interface IBadge {
  text: string;
  /** CSS modifier: a status (`finished`, `failed`, ...) or `none` before the first run. */
  mod: string;
  title: string;
  runId: string | null;
}

/**
 * The badge of a cell: the status and headline metric of its latest run, or a
 * "not run yet" badge for a `%%track` cell with no run; null for a cell that is
 * neither tracked nor has runs.
 */
export function badgeFor(
  runs: ICellRuns | undefined,
  tracked: boolean,
  now: number = Date.now() / 1000
): IBadge | null {
  if (!runs) {
    return tracked
      ? { text: 'nbtrack: not run yet', mod: 'none', title: 'No run of this cell yet', runId: null }
      : null;
  }
  const run = runs.latest;
  const status = statusOf(run.status);
  const headline = headlineText(run);
  const count = runs.count === 1 ? '1 run' : `${runs.count} runs`;
  return {
    text: [`${status.glyph} ${run.run_id.slice(0, 10)}`, headline].filter(Boolean).join(' · '),
    mod: status.mod,
    title:
      `Latest run of this cell: ${run.run_id}, ${status.word} ${formatAge(run.start_time, now)}` +
      ` (${count}). Click for details.`,
    runId: run.run_id
  };
}
