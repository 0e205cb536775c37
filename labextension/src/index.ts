/**
 * nbtrack's JupyterLab extension: the Runs sidebar, run badges on tracked
 * cells, the compare and run panels, and the Export Run as Notebook command.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, MainAreaWidget } from '@jupyterlab/apputils';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { INotebookTracker, NotebookActions, NotebookPanel } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import type { Widget } from '@lumino/widgets';

import { NbtrackClient } from './api';
import { NotebookBadges } from './badges';
import { CommandIDs, registerCommands } from './commands';
import { ComparePanel } from './compare-panel';
import { serverRequester } from './connection';
import { runsIcon } from './icon';
import { RunPanel } from './run-panel';
import { RunsModel } from './runs-model';
import { RunsPanel } from './runs-panel';

function activate(
  app: JupyterFrontEnd,
  notebooks: INotebookTracker,
  rendermime: IRenderMimeRegistry,
  palette: ICommandPalette | null,
  restorer: ILayoutRestorer | null,
  fileBrowser: IDefaultFileBrowser | null
): void {
  const client = new NbtrackClient(serverRequester(app.serviceManager.serverSettings));
  const runs = new RunsModel(client);
  const badges = new Map<NotebookPanel, NotebookBadges>();
  const opened = new Map<string, MainAreaWidget>();
  const currentPath = () => notebooks.currentWidget?.context.path ?? runs.path;

  const openInMain = (id: string, make: () => Widget) => {
    const existing = opened.get(id);
    if (existing && !existing.isDisposed) {
      app.shell.activateById(existing.id);
      return;
    }
    const widget = new MainAreaWidget({ content: make() });
    widget.id = id;
    widget.title.icon = runsIcon;
    widget.disposed.connect(() => opened.delete(id));
    opened.set(id, widget);
    app.shell.add(widget, 'main');
    app.shell.activateById(widget.id);
  };
  const openRun = (runId: string, path: string) =>
    openInMain(`nbtrack-run-${runId}`, () => new RunPanel(runId, path, client, {
      exportRun: (id, p) => void app.commands.execute(CommandIDs.exportRun, { runId: id, path: p }),
      compare: (ids, p) => compare(ids, p)
    }));
  const compare = (runIds: string[], path: string) =>
    openInMain(`nbtrack-compare-${runIds.join('-')}`,
      () => new ComparePanel(runIds, path, client, rendermime));

  const panel = new RunsPanel(runs, {
    openRun: runId => openRun(runId, runs.path),
    compare: selected => compare(selected.map(run => run.run_id), runs.path)
  });
  panel.title.icon = runsIcon;
  app.shell.add(panel, 'left', { rank: 600 });
  restorer?.add(panel, 'nbtrack-runs');

  const follow = () => void runs.setPath(notebooks.currentWidget?.context.path ?? '');
  notebooks.currentChanged.connect(follow);
  follow();

  notebooks.widgetAdded.connect((_, notebook) => {
    badges.set(notebook, new NotebookBadges(notebook, client, openRun));
    notebook.disposed.connect(() => badges.delete(notebook));
  });
  NotebookActions.executed.connect((_, { notebook }) => {
    for (const [open, cellBadges] of badges) {
      if (open.content === notebook) {
        cellBadges.schedule();
        if (open.context.path === runs.path) {
          void runs.refresh();
        }
      }
    }
  });

  registerCommands(app, {
    client,
    currentPath,
    impliedRun: () => {
      const selected = runs.selected();
      if (selected.length === 1) {
        return selected[0].run_id;
      }
      const notebook = notebooks.currentWidget;
      const cell = notebook?.content.activeCell;
      return notebook && cell ? badges.get(notebook)?.runOf(cell) ?? null : null;
    },
    selectedRuns: () => runs.selected().map(run => run.run_id),
    openRun,
    compare,
    showRuns: () => app.shell.activateById(panel.id),
    filesChanged: () => void fileBrowser?.model.refresh()
  });
  for (const command of [CommandIDs.exportRun, CommandIDs.compare, CommandIDs.showRuns]) {
    palette?.addItem({ command, category: 'nbtrack' });
  }
  app.contextMenu.addItem({ command: CommandIDs.exportRun, selector: '.jp-nbtrack-run', rank: 1 });
  app.contextMenu.addItem({ command: CommandIDs.openRun, selector: '.jp-nbtrack-run', rank: 2 });
  app.contextMenu.addItem({ command: CommandIDs.exportRun, selector: '.jp-nbtrack-Badge[data-run-id]', rank: 1 });
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'nbtrack:plugin',
  description: 'nbtrack runs in JupyterLab: sidebar, cell badges, compare panel, export',
  autoStart: true,
  requires: [INotebookTracker, IRenderMimeRegistry],
  optional: [ICommandPalette, ILayoutRestorer, IDefaultFileBrowser],
  activate
};

export default plugin;
