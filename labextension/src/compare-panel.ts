/**
 * The compare panel (main area): runs side by side with the params that differ
 * highlighted, and a metric's history across the runs as a Vega-Lite chart.
 */
import { IRenderMimeRegistry, MimeModel } from '@jupyterlab/rendermime';
import { Panel, Widget } from '@lumino/widgets';

import type { NbtrackClient } from './api';
import { comparisonTable, historySpec, metricKeys } from './compare-data';
import { h } from './dom';
import type { IRunRow } from './tokens';

const VEGA_LITE = 'application/vnd.vegalite.v5+json';

/** Side-by-side runs; the runs are read fresh from the store when it opens. */
export class ComparePanel extends Panel {
  private runs: IRunRow[] = [];
  private differ: string[] = [];
  private readonly controls = new Widget();
  private readonly table = new Widget();
  private chart: Widget = new Widget();
  private readonly metricSelect: HTMLSelectElement;
  private readonly onlyDifferences: HTMLInputElement;

  constructor(
    readonly runIds: string[],
    readonly path: string,
    private readonly client: NbtrackClient,
    private readonly rendermime: IRenderMimeRegistry
  ) {
    super();
    this.addClass('jp-nbtrack-ComparePanel');
    this.title.label = `Compare ${runIds.length} runs`;
    this.title.caption = runIds.join(', ');
    this.title.closable = true;
    this.metricSelect = h('select', {
      className: 'jp-nbtrack-metric jp-mod-styled',
      attrs: { 'aria-label': 'Metric to chart' },
      on: { change: () => void this.drawChart() }
    });
    this.onlyDifferences = h('input', {
      attrs: { type: 'checkbox' },
      on: { change: () => this.drawTable() }
    });
    this.controls.addClass('jp-nbtrack-controls');
    this.controls.node.append(
      h('label', {}, ['chart ', this.metricSelect, ' by step']),
      h('label', {}, [this.onlyDifferences, ' only params that differ'])
    );
    this.table.addClass('jp-nbtrack-table-host');
    this.chart.addClass('jp-nbtrack-chart');
    this.addWidget(this.controls);
    this.addWidget(this.table);
    this.addWidget(this.chart);
    void this.load();
  }

  /** Read the runs, fill the table, chart the headline metric of the first run. */
  async load(): Promise<void> {
    try {
      const comparison = await this.client.compare(this.runIds, this.path);
      this.runs = comparison.runs;
      this.differ = comparison.differing_params;
    } catch (error) {
      this.table.node.replaceChildren(
        h('p', { className: 'jp-nbtrack-error', text: (error as Error).message })
      );
      return;
    }
    const keys = metricKeys(this.runs);
    const first = this.runs.find(run => run.headline)?.headline ?? keys[0];
    this.metricSelect.replaceChildren(
      ...keys.map(key => h('option', { text: key, attrs: { value: key } }))
    );
    if (first) {
      this.metricSelect.value = first;
    }
    this.drawTable();
    await this.drawChart();
  }

  private drawTable(): void {
    const { columns, rows } = comparisonTable(this.runs, this.differ, this.onlyDifferences.checked);
    const head = h('tr', {}, columns.map(column =>
      h('th', {
        className: column.differs ? 'jp-mod-differs' : '',
        text: column.label,
        title: column.differs ? `${column.key}: differs between the runs` : column.key,
        dataset: { column: column.key }
      })
    ));
    const body = rows.map(({ run, cells }) =>
      h('tr', { dataset: { runId: run.run_id } }, cells.map((text, i) =>
        h('td', { className: columns[i].differs ? 'jp-mod-differs' : '', text })
      ))
    );
    this.table.node.replaceChildren(
      h('table', { className: 'jp-nbtrack-compare-table' }, [
        h('thead', {}, [head]),
        h('tbody', {}, body)
      ])
    );
  }

  private async drawChart(): Promise<void> {
    const key = this.metricSelect.value;
    const holder = new Widget();
    holder.addClass('jp-nbtrack-chart');
    if (!key) {
      holder.node.textContent = 'These runs have no metrics to chart.';
      return this.swapChart(holder);
    }
    const having = this.runs.filter(run => key in run.metrics);
    const histories = await Promise.all(having.map(run => this.client.history(run.run_id, key, this.path)));
    if (key !== this.metricSelect.value) {
      return; // another metric was picked meanwhile
    }
    const width = Math.max(320, Math.min(1100, this.node.clientWidth - 180));
    const spec = historySpec(key, histories, this.runs, width);
    const data = { [VEGA_LITE]: spec as unknown as Record<string, never> };
    if (this.rendermime.preferredMimeType(data, 'any') !== VEGA_LITE) {
      holder.node.textContent = 'Charts need JupyterLab’s Vega-Lite renderer (@jupyterlab/vega5-extension).';
      return this.swapChart(holder);
    }
    const renderer = this.rendermime.createRenderer(VEGA_LITE);
    renderer.addClass('jp-nbtrack-chart');
    renderer.node.dataset.metric = key;
    this.swapChart(renderer);
    await renderer.renderModel(new MimeModel({ data, trusted: true }));
  }

  private swapChart(widget: Widget): void {
    this.chart.dispose();
    this.chart = widget;
    this.addWidget(widget);
  }
}
