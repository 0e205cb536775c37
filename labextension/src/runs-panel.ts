/**
 * The Runs sidebar: the runs of the store beside the current notebook, newest
 * first, with a filter box, status glyphs, headline metrics and a selection to
 * compare.
 */
import { Widget } from '@lumino/widgets';

import { h, sectionHeader } from './dom';
import { formatAge, formatDuration, formatValue, runLabel, shortId, statusOf } from './format';
import type { RunsModel } from './runs-model';
import type { IRunRow } from './tokens';

/** What the panel asks of the rest of the extension. */
export interface IRunsPanelActions {
  openRun(runId: string): void;
  compare(runs: IRunRow[]): void;
}

/** How often the listing is fetched again while the panel is shown (ms). */
export const POLL_INTERVAL = 3000;

/** The left-sidebar panel listing runs. */
export class RunsPanel extends Widget {
  private readonly list: HTMLElement;
  private readonly storeLine: HTMLElement;
  private readonly errorLine: HTMLElement;
  private readonly compareButton: HTMLButtonElement;
  private readonly filterInput: HTMLInputElement;
  private timer: number | undefined;

  constructor(
    readonly model: RunsModel,
    private readonly actions: IRunsPanelActions
  ) {
    super();
    this.id = 'nbtrack-runs';
    this.addClass('jp-nbtrack-RunsPanel');
    this.title.caption = 'nbtrack runs';
    this.filterInput = h('input', {
      className: 'jp-nbtrack-filter jp-mod-styled',
      attrs: {
        type: 'search',
        placeholder: "filter, e.g. metrics.acc > 0.9 and params.model = 'rf'",
        'aria-label': 'Filter runs',
        spellcheck: 'false'
      },
      on: {
        keydown: event => {
          if ((event as KeyboardEvent).key === 'Enter') {
            void this.model.setFilter(this.filterInput.value);
          }
        },
        input: () => {
          if (!this.filterInput.value && this.model.filter) {
            void this.model.setFilter(''); // the search box's clear button
          }
        }
      }
    });
    this.compareButton = h('button', {
      className: 'jp-mod-styled jp-mod-accept jp-nbtrack-compare-button',
      text: 'Compare',
      on: { click: () => this.actions.compare(this.model.selected()) }
    });
    this.storeLine = h('div', { className: 'jp-nbtrack-store' });
    this.errorLine = h('div', { className: 'jp-nbtrack-error', attrs: { role: 'alert' } });
    this.list = h('ul', { className: 'jp-nbtrack-runs', attrs: { role: 'list' } });
    const header = sectionHeader('Runs', 'runs', () => void this.model.refresh(true));
    const footer = h('div', { className: 'jp-nbtrack-footer' }, [this.compareButton]);
    this.node.append(header, this.storeLine, this.filterInput, this.errorLine, this.list, footer);
    model.onChange(() => this.render());
    this.render();
  }

  protected onAfterShow(): void {
    void this.model.refresh();
    this.timer = window.setInterval(() => {
      if (document.visibilityState === 'visible') {
        void this.model.refresh();
      }
    }, POLL_INTERVAL);
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
    const { page, error } = this.model;
    this.errorLine.textContent = error ?? '';
    this.errorLine.hidden = !error;
    this.storeLine.textContent = page ? `store: ${page.store.replace(/^sqlite:\/\//, '')}` : '';
    this.storeLine.title = page?.store ?? '';
    const selected = this.model.selected().length;
    this.compareButton.disabled = selected === 0;
    this.compareButton.textContent = selected ? `Compare ${selected} selected` : 'Compare';
    if (!page) {
      this.list.replaceChildren(h('li', { className: 'jp-nbtrack-empty', text: 'Loading runs…' }));
      return;
    }
    if (page.runs.length === 0) {
      const text = this.model.filter.trim()
        ? 'No run matches this filter.'
        : 'No runs yet. Put %%track on a notebook cell and run it.';
      this.list.replaceChildren(h('li', { className: 'jp-nbtrack-empty', text }));
      return;
    }
    const rows = page.runs.map(run => this.row(run));
    if (page.total > page.runs.length) {
      rows.push(
        h('li', {
          className: 'jp-nbtrack-more',
          text: `${page.runs.length} newest of ${page.total}; filter to narrow`
        })
      );
    }
    this.list.replaceChildren(...rows);
  }

  private row(run: IRunRow): HTMLElement {
    const status = statusOf(run.status);
    const selected = this.model.isSelected(run.run_id);
    const checkbox = h('input', {
      className: 'jp-nbtrack-select',
      attrs: { type: 'checkbox', 'aria-label': `Select ${run.run_id}` },
      on: {
        click: event => {
          event.stopPropagation();
          this.model.toggle(run.run_id);
        }
      }
    });
    checkbox.checked = selected;
    const metrics = Object.keys(run.metrics);
    const keyMetrics = (run.headline ? [run.headline, ...metrics.filter(k => k !== run.headline)] : metrics)
      .slice(0, 2)
      .map(key => `${key}=${formatValue(run.metrics[key])}`)
      .join(' · ');
    const meta = [run.experiment, formatAge(run.start_time), formatDuration(run.duration)]
      .filter(Boolean)
      .join(' · ');
    return h(
      'li',
      {
        className: `jp-nbtrack-run jp-mod-${status.mod}` + (selected ? ' jp-mod-selected' : ''),
        dataset: { runId: run.run_id },
        title: `${run.run_id} · ${status.word}. Click for details; right-click to export.`,
        on: { click: () => this.actions.openRun(run.run_id) }
      },
      [
        checkbox,
        h('span', { className: 'jp-nbtrack-status', text: status.glyph, title: status.word }),
        h('div', { className: 'jp-nbtrack-run-body' }, [
          h('div', { className: 'jp-nbtrack-run-line' }, [
            h('span', { className: 'jp-nbtrack-run-name', text: runLabel(run) }),
            run.name ? h('span', { className: 'jp-nbtrack-run-id', text: shortId(run.run_id) }) : null
          ]),
          keyMetrics ? h('div', { className: 'jp-nbtrack-run-metrics', text: keyMetrics }) : null,
          h('div', { className: 'jp-nbtrack-run-meta', text: meta })
        ])
      ]
    );
  }
}
