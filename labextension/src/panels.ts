/**
 * The run and compare panels in the main area: one panel per run (or set of
 * runs), brought to the front instead of opened twice.
 */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import { MainAreaWidget } from '@jupyterlab/apputils';
import type { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import type { Widget } from '@lumino/widgets';

import type { NbtrackClient } from './api';
import { CommandIDs } from './commands';
import { ComparePanel } from './compare-panel';
import { runsIcon } from './icon';
import { RunPanel } from './run-panel';

/** Opens run and compare panels, each at most once. */
export class MainAreaPanels {
  private readonly opened = new Map<string, MainAreaWidget>();

  constructor(
    private readonly app: JupyterFrontEnd,
    private readonly client: NbtrackClient,
    private readonly rendermime: IRenderMimeRegistry
  ) {}

  /** One run in full, with buttons to export it and compare it with its reproductions. */
  openRun(runId: string, path: string): void {
    this.open(`nbtrack-run-${runId}`, () => new RunPanel(runId, path, this.client, {
      exportRun: (id, p) =>
        void this.app.commands.execute(CommandIDs.exportRun, { runId: id, path: p }),
      compare: (ids, p) => this.compare(ids, p)
    }));
  }

  /** The runs side by side. */
  compare(runIds: string[], path: string): void {
    this.open(`nbtrack-compare-${runIds.join('-')}`,
      () => new ComparePanel(runIds, path, this.client, this.rendermime));
  }

  private open(id: string, make: () => Widget): void {
    const existing = this.opened.get(id);
    if (existing && !existing.isDisposed) {
      this.app.shell.activateById(existing.id);
      return;
    }
    const widget = new MainAreaWidget({ content: make() });
    widget.id = id;
    widget.title.icon = runsIcon;
    widget.disposed.connect(() => this.opened.delete(id));
    this.opened.set(id, widget);
    this.app.shell.add(widget, 'main');
    this.app.shell.activateById(widget.id);
  }
}
