/**
 * The Models section of the sidebar: the registered models of the store beside the
 * current notebook, their versions and aliases, each version's latest monitoring
 * check, and the history of every alias.
 */
import { Widget } from '@lumino/widgets';

import type { NbtrackClient } from './api';
import { h, sectionHeader } from './dom';
import { formatAge, formatValue, shortId } from './format';
import { aliasLine, describeEvent } from './models-data';
import { badgeText, besideBadge, checkTitle, servedCheck, verdictOf } from './monitor-data';
import type { IModelsReply, IMonitorCheck, IModelVersionRow, IRegisteredModel } from './tokens';

/** How often the models are read again while the section is shown (ms): checks made
 * elsewhere (a cron job's `nbtrack monitor`). */
export const MODELS_POLL_INTERVAL = 10000;
const KERNEL_WRITE_DELAY = 1500;

/** The left-sidebar panel listing registered models. */
export class ModelsPanel extends Widget {
  private path = '';
  private reply: IModelsReply | null = null;
  private shown = '';
  private shownAt = 0;
  private timer: number | undefined;
  private readonly list: HTMLElement;
  private readonly errorLine: HTMLElement;
  private readonly open = new Set<string>();

  constructor(
    private readonly client: NbtrackClient,
    private readonly openRun: (runId: string, path: string) => void
  ) {
    super();
    this.id = 'nbtrack-models';
    this.addClass('jp-nbtrack-ModelsPanel');
    this.title.caption = 'nbtrack models';
    this.errorLine = h('div', { className: 'jp-nbtrack-error', attrs: { role: 'alert' } });
    this.list = h('ul', { className: 'jp-nbtrack-models', attrs: { role: 'list' } });
    const header = sectionHeader('Models', 'models', () => void this.refresh());
    this.node.append(header, this.errorLine, this.list);
    this.render();
  }

  /** Follow another notebook (its store may differ). */
  async setPath(path: string): Promise<void> {
    if (path !== this.path) {
      this.path = path;
      this.open.clear();
      if (this.isVisible) {
        await this.refresh();
      }
    }
  }

  /** Read the models again (not drawn again when nothing changed, so a tooltip stays). */
  async refresh(): Promise<void> {
    try {
      this.reply = await this.client.models(this.path);
      this.errorLine.hidden = true;
    } catch (error) {
      this.errorLine.textContent = (error as Error).message;
      this.errorLine.hidden = false;
    }
    // drawn again when the models changed, or a minute on, for the ages
    if (JSON.stringify(this.reply) !== this.shown || Date.now() - this.shownAt > 60000) {
      this.render();
    }
  }

  /** A cell of the notebook at `path` finished: it may have registered or checked one. */
  cellExecuted(path: string): void {
    if (path === this.path && this.isVisible) {
      void this.refresh();
      // a kernel's runs reach the store within a second of the cell (its write buffer)
      window.setTimeout(() => void this.refresh(), KERNEL_WRITE_DELAY);
    }
  }

  protected onAfterShow(): void {
    void this.refresh();
    this.timer = window.setInterval(() => {
      if (document.visibilityState === 'visible') {
        void this.refresh();
      }
    }, MODELS_POLL_INTERVAL);
  }

  protected onAfterHide(): void {
    window.clearInterval(this.timer);
    this.timer = undefined;
  }

  dispose(): void {
    window.clearInterval(this.timer);
    super.dispose();
  }

  private render(): void {
    this.shown = JSON.stringify(this.reply);
    this.shownAt = Date.now();
    if (!this.reply) {
      this.list.replaceChildren(h('li', { className: 'jp-nbtrack-empty', text: 'Loading models…' }));
      return;
    }
    if (this.reply.models.length === 0) {
      this.list.replaceChildren(
        h('li', {
          className: 'jp-nbtrack-empty',
          text: 'No registered models yet. After a tracked cell saves one: %track register NAME'
        })
      );
      return;
    }
    this.list.replaceChildren(...this.reply.models.map(model => this.item(model)));
  }

  /** A check's verdict as a button that opens the check's run. */
  private driftBadge(check: IMonitorCheck, label: string, prefix = ''): HTMLElement {
    const look = verdictOf(check.verdict);
    return h('button', {
      className: `jp-nbtrack-DriftBadge jp-mod-${look.mod}`,
      text: prefix + badgeText(check),
      title: checkTitle(check),
      attrs: { type: 'button', 'aria-label': `${label}: ${look.word}, ${besideBadge(check)}; open the check` },
      dataset: { runId: check.run_id, verdict: check.verdict },
      on: { click: () => this.openRun(check.run_id, this.path) }
    });
  }

  private versionRows(v: IModelVersionRow): HTMLElement[] {
    const rows = [
      h('tr', { dataset: { version: String(v.version) } }, [
        h('td', { text: `v${v.version}` }),
        h('td', { text: v.aliases.map(a => `@${a}`).join(' ') }),
        h('td', {}, [h('a', {
          text: shortId(v.run_id),
          title: `open run ${v.run_id}`,
          attrs: { href: '#' },
          on: {
            click: event => {
              event.preventDefault();
              this.openRun(v.run_id, this.path);
            }
          }
        })]),
        h('td', { text: Object.entries(v.metrics).slice(0, 2)
          .map(([k, value]) => `${k}=${formatValue(value)}`).join(' ') }),
        h('td', { text: formatAge(v.created) })
      ])
    ];
    if (v.monitor) {
      rows.push(h('tr', { className: 'jp-nbtrack-check', dataset: { checkOf: String(v.version) } }, [
        h('td', { attrs: { colspan: '5' } }, [
          this.driftBadge(v.monitor, `v${v.version} latest drift check`),
          ' ',
          h('span', { className: 'jp-nbtrack-check-figures', text: besideBadge(v.monitor) })
        ])
      ]));
    }
    return rows;
  }

  private item(model: IRegisteredModel): HTMLElement {
    const expanded = this.open.has(model.name);
    const latest = model.versions[model.versions.length - 1];
    const served = servedCheck(model);
    const summary = h('div', {
      className: 'jp-nbtrack-model-summary',
      attrs: { role: 'button', 'aria-expanded': String(expanded), tabindex: '0' },
      on: {
        click: () => {
          if (!this.open.delete(model.name)) {
            this.open.add(model.name);
          }
          this.render();
        }
      }
    }, [
      h('span', { className: 'jp-nbtrack-model-name', text: model.name }),
      h('span', { className: 'jp-nbtrack-model-latest', text: latest ? ` v${latest.version}` : '' }),
      h('span', { className: 'jp-nbtrack-model-aliases', text: aliasLine(model) })
    ]);
    // beside the summary, not in it: a button inside a button would not be reachable
    const parts: HTMLElement[] = [h('div', { className: 'jp-nbtrack-model-head' }, [
      summary,
      served
        ? this.driftBadge(served.check, `served v${served.version} latest drift check`,
          `v${served.version} `)
        : null
    ])];
    if (expanded) {
      parts.push(
        h('table', { className: 'jp-nbtrack-versions' }, [
          h('tbody', {}, [...model.versions].reverse().flatMap(v => this.versionRows(v)))
        ]),
        h('ol', { className: 'jp-nbtrack-history' }, [...model.history].reverse().map(event =>
          h('li', { title: `${event.user} · ${new Date(event.ts * 1000).toLocaleString()}` }, [
            h('span', { className: 'jp-nbtrack-history-age', text: formatAge(event.ts) }),
            ' ',
            h('span', { className: 'jp-nbtrack-history-what', text: describeEvent(event) })
          ])))
      );
    }
    return h('li', { className: 'jp-nbtrack-model', dataset: { model: model.name } }, parts);
  }
}
