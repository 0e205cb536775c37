/**
 * The Models section of the sidebar: the registered models of the store beside the
 * current notebook, their versions and aliases, and the history of every alias.
 */
import { Widget } from '@lumino/widgets';

import type { NbtrackClient } from './api';
import { h, sectionHeader } from './dom';
import { formatAge, formatValue, shortId } from './format';
import { aliasLine, describeEvent } from './models-data';
import type { IModelsReply, IRegisteredModel } from './tokens';

/** The left-sidebar panel listing registered models. */
export class ModelsPanel extends Widget {
  private path = '';
  private reply: IModelsReply | null = null;
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

  /** Read the models again. */
  async refresh(): Promise<void> {
    try {
      this.reply = await this.client.models(this.path);
      this.errorLine.hidden = true;
    } catch (error) {
      this.errorLine.textContent = (error as Error).message;
      this.errorLine.hidden = false;
    }
    this.render();
  }

  protected onAfterShow(): void {
    void this.refresh();
  }

  private render(): void {
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

  private item(model: IRegisteredModel): HTMLElement {
    const expanded = this.open.has(model.name);
    const latest = model.versions[model.versions.length - 1];
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
    const parts: HTMLElement[] = [summary];
    if (expanded) {
      parts.push(
        h('table', { className: 'jp-nbtrack-versions' }, [
          h('tbody', {}, [...model.versions].reverse().map(v =>
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
            ])))
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
