/**
 * One run in full (main area): status, params, metrics, tags, artifacts, where
 * it came from, its code, and buttons to export it or compare it with the
 * previous run of its cell; for a monitoring check first its drift figures.
 */
import { Widget } from '@lumino/widgets';

import type { NbtrackClient } from './api';
import { h } from './dom';
import { formatAge, formatDuration, formatValue, runLabel, statusOf } from './format';
import { badgeText, featureRow, figuresLine, ruleLine, scopeText, verdictOf } from './monitor-data';
import type { IMonitorCheck, IRunDetail } from './tokens';

/** What the run panel's buttons do. */
export interface IRunPanelActions {
  exportRun(runId: string, path: string): void;
  compare(runIds: string[], path: string): void;
}

function table(rows: [string, string][], empty: string): HTMLElement {
  if (rows.length === 0) {
    return h('p', { className: 'jp-nbtrack-muted', text: empty });
  }
  return h('table', { className: 'jp-nbtrack-kv' }, [
    h('tbody', {}, rows.map(([key, value]) =>
      h('tr', {}, [h('th', { text: key }), h('td', { text: value })])
    ))
  ]);
}

/** A check's verdict, figures and per-feature table (largest PSI first). */
function driftSection(check: IMonitorCheck): HTMLElement {
  const look = verdictOf(check.verdict);
  const subject = check.model === null ? '' : `${check.model}/${check.version} · `;
  const facts: [string, string][] = [
    ['checked', subject + scopeText(check)],
    ['figures', figuresLine(check)],
    ['inputs', check.verdict === 'rule_fired' ? verdictOf(check.drift).word : ''],
    ['rule', ruleLine(check)],
    ['error rate', check.error_rate === null ? '' : formatValue(check.error_rate)]
  ];
  const features = check.features.length
    ? h('table', { className: 'jp-nbtrack-kv jp-nbtrack-drift-table' }, [
        h('thead', {}, [h('tr', {}, ['feature', 'PSI', 'p', 'severity'].map(t => h('th', { text: t })))]),
        h('tbody', {}, check.features.map(feature => {
          const [name, psi, p, severity] = featureRow(feature);
          return h('tr', { dataset: { feature: name } }, [
            h('th', { text: name }),
            h('td', { text: psi }),
            h('td', { text: p }),
            h('td', { className: `jp-nbtrack-severity jp-mod-${severity}`, text: severity })
          ]);
        }))
      ])
    : h('p', {
        className: 'jp-nbtrack-muted',
        text: 'No feature had figures in the latest window (fewer than 30 usable rows on a side, or no inputs logged).'
      });
  return h('section', { className: 'jp-nbtrack-drift' }, [
    h('h3', { text: 'Drift' }),
    h('p', {}, [
      h('span', { className: `jp-nbtrack-DriftBadge jp-mod-${look.mod}`, text: badgeText(check) }),
      ` ${formatAge(check.time)}`
    ]),
    table(facts.filter(([, v]) => v), ''),
    features
  ]);
}

/** The details of one run, read from the store when the panel opens. */
export class RunPanel extends Widget {
  constructor(
    readonly runId: string,
    readonly path: string,
    private readonly client: NbtrackClient,
    private readonly actions: IRunPanelActions
  ) {
    super();
    this.addClass('jp-nbtrack-RunPanel');
    this.title.label = runId.slice(0, 10);
    this.title.caption = `nbtrack run ${runId}`;
    this.title.closable = true;
    this.node.textContent = 'Loading…';
    void this.load();
  }

  async load(): Promise<void> {
    let run: IRunDetail;
    try {
      run = await this.client.run(this.runId, this.path);
    } catch (error) {
      this.node.replaceChildren(h('p', { className: 'jp-nbtrack-error', text: (error as Error).message }));
      return;
    }
    this.title.label = runLabel(run);
    const status = statusOf(run.status);
    const previous = run.context.previous_run_id;
    const buttons = h('div', { className: 'jp-nbtrack-actions' }, [
      h('button', {
        className: 'jp-mod-styled jp-mod-accept',
        text: 'Export as notebook',
        on: { click: () => this.actions.exportRun(run.run_id, this.path) }
      }),
      previous
        ? h('button', {
            className: 'jp-mod-styled',
            text: `Compare with previous run ${previous.slice(0, 10)}`,
            on: { click: () => this.actions.compare([previous, run.run_id], this.path) }
          })
        : null
    ]);
    const facts: [string, string][] = [
      ['run', run.run_id],
      ['status', status.word],
      ['experiment', run.experiment],
      ['started', `${new Date(run.start_time * 1000).toLocaleString()} (${formatAge(run.start_time)})`],
      ['duration', formatDuration(run.duration)],
      ['notebook', run.context.notebook ?? ''],
      ['cell', run.cell_id ?? ''],
      ['previous run of the cell', previous ?? ''],
      ['parent run', run.parent_run_id ?? ''],
      ['registered as', (run.registered_as ?? []).join(', ')]
    ];
    const section = (title: string, body: Node) =>
      h('section', {}, [h('h3', { text: title }), body]);
    const hidden = run.context.hidden_state ?? [];
    const parts: (Node | null)[] = [
      h('h2', { className: `jp-nbtrack-run-title jp-mod-${status.mod}` }, [
        h('span', { className: 'jp-nbtrack-status', text: status.glyph }),
        ` ${runLabel(run)}`
      ]),
      buttons,
      hidden.length
        ? h('p', { className: 'jp-nbtrack-warning', text: `⚠ hidden state: ${hidden.join(', ')}` })
        : null,
      run.monitor ? driftSection(run.monitor) : null,
      section('Run', table(facts.filter(([, v]) => v), '')),
      section('Metrics', table(Object.entries(run.metrics).map(([k, v]) => [k, formatValue(v)]), 'No metrics.')),
      section('Params', table(Object.entries(run.params).map(([k, v]) => [k, formatValue(v)]), 'No params.')),
      section('Tags', table(Object.entries(run.tags).map(([k, v]) => [k, v]), 'No tags.')),
      section('Artifacts', table(run.artifacts.map(a => [a.name, a.kind ?? '']), 'No artifacts.')),
      run.error ? section('Error', h('pre', { className: 'jp-nbtrack-code', text: run.error })) : null,
      run.context.source ? section('Code', h('pre', { className: 'jp-nbtrack-code', text: run.context.source })) : null,
      run.context.output ? section('Printed', h('pre', { className: 'jp-nbtrack-code', text: run.context.output })) : null
    ];
    this.node.replaceChildren(...parts.filter((part): part is Node => part !== null));
  }
}
