/**
 * How a monitoring check reads in the Models section and the run details: a verdict
 * badge (glyph and words, so the colour is never the only sign), its figures and its
 * most drifted features, from the server's reply alone.
 */
import { formatAge, formatValue } from './format';
import type { IDriftFeature, IMonitorCheck, IRegisteredModel, MetricValue } from './tokens';

/** Glyph, words and CSS modifier of a verdict. */
export interface IVerdictLook {
  glyph: string;
  word: string;
  mod: string;
}

/** Each verdict the server sends, most severe first. */
export const VERDICTS: Record<string, IVerdictLook> = {
  rule_fired: { glyph: '✖', word: 'rule fired', mod: 'rule-fired' },
  drifted: { glyph: '▲', word: 'drifted', mod: 'drifted' },
  insufficient_data: { glyph: '…', word: 'insufficient data', mod: 'insufficient' },
  no_inputs: { glyph: '–', word: 'no inputs logged', mod: 'no-inputs' },
  no_drift: { glyph: '✓', word: 'no drift', mod: 'no-drift' }
};

/** The look of any verdict (an unknown one reads as itself). */
export function verdictOf(verdict: string): IVerdictLook {
  return VERDICTS[verdict] ?? { glyph: '?', word: verdict.replace(/_/g, ' '), mod: 'unknown' };
}

/** `▲ drifted`: what the badge says. */
export function badgeText(check: IMonitorCheck): string {
  const look = verdictOf(check.verdict);
  return `${look.glyph} ${look.word}`;
}

function known(value: MetricValue | null | undefined): value is MetricValue {
  return value !== null && value !== undefined && value !== 'nan';
}

/** `drift share 0.5 · max PSI 1.234`, leaving out what the check did not measure. */
export function figuresLine(check: IMonitorCheck): string {
  const parts: string[] = [];
  if (known(check.share)) {
    parts.push(`drift share ${formatValue(check.share)}`);
  }
  if (known(check.max_psi)) {
    parts.push(`max PSI ${formatValue(check.max_psi)}`);
  }
  return parts.join(' · ');
}

/** `a (PSI 1.2), b (PSI 0.02)`: the features with the largest PSI. */
export function topFeatures(check: IMonitorCheck, count = 3): string {
  return check.features
    .filter(f => known(f.psi))
    .slice(0, count)
    .map(f => `${f.feature} (PSI ${formatValue(f.psi as MetricValue)})`)
    .join(', ');
}

/** What the check looked at: `latest 80 requests`, `latest of 3 windows of 1d`. */
export function scopeText(check: IMonitorCheck): string {
  if (check.window === null) {
    return 'one drift check of two tables';
  }
  const requests = known(check.requests) ? `${formatValue(check.requests)} ` : '';
  if (check.window === 'last') {
    return `latest ${requests}requests`;
  }
  return `latest of ${check.windows} windows of ${check.window} (${requests}requests in it)`;
}

/** `rule fired: drift.share >= 0.5` or `rule holds back: ...`; '' without a rule. */
export function ruleLine(check: IMonitorCheck): string {
  if (!check.rule) {
    return '';
  }
  return `rule ${check.rule.fired ? 'fired' : 'holds back'}: ${check.rule.rule}`;
}

/** The badge's tooltip: verdict, age, scope, figures, features, rule, what a click does. */
export function checkTitle(check: IMonitorCheck, now?: number): string {
  const look = verdictOf(check.verdict);
  const drift = check.verdict === 'rule_fired' ? ` (inputs: ${verdictOf(check.drift).word})` : '';
  const lines = [
    `latest check: ${look.word}${drift}, ${formatAge(check.time, now)} ` +
      `(${new Date(check.time * 1000).toLocaleString()})`,
    scopeText(check),
    figuresLine(check),
    topFeatures(check) ? `most drifted: ${topFeatures(check)}` : '',
    ruleLine(check),
    `click to open the check ${check.run_id}`
  ];
  return lines.filter(Boolean).join('\n');
}

/** What sits beside the badge: `2 h ago · drift share 0.5 · max PSI 1.234`. */
export function besideBadge(check: IMonitorCheck, now?: number): string {
  return [formatAge(check.time, now), figuresLine(check)].filter(Boolean).join(' · ');
}

/** The newest check of the versions an alias points at (what is being served), if any. */
export function servedCheck(model: IRegisteredModel): { version: number; check: IMonitorCheck } | null {
  let best: { version: number; check: IMonitorCheck } | null = null;
  for (const v of model.versions) {
    if (v.aliases.length && v.monitor && (!best || v.monitor.time > best.check.time)) {
      best = { version: v.version, check: v.monitor };
    }
  }
  return best;
}

/** One row of the run details' drift table: feature, PSI, p, severity. */
export function featureRow(feature: IDriftFeature): [string, string, string, string] {
  const show = (value: MetricValue | null) => (known(value) ? formatValue(value) : '–');
  return [feature.feature, show(feature.psi), show(feature.p), feature.severity];
}
