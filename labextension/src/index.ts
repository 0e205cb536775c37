/**
 * nbtrack's JupyterLab extension: the Runs sidebar, run badges on tracked
 * cells, the compare and run panels, and the Export Run as Notebook command.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { INotebookTracker } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';

import { NbtrackClient } from './api';
import { addToMenus, registerCommands } from './commands';
import { serverRequester } from './connection';
import { modelsIcon, runsIcon } from './icon';
import { ModelsPanel } from './models-panel';
import { NotebookWatch } from './notebook-watch';
import { MainAreaPanels } from './panels';
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
  const panels = new MainAreaPanels(app, client, rendermime);
  const openRun = (runId: string, path: string) => panels.openRun(runId, path);
  const compare = (runIds: string[], path: string) => panels.compare(runIds, path);

  const sidebar = new RunsPanel(runs, {
    openRun: runId => openRun(runId, runs.path),
    compare: selected => compare(selected.map(run => run.run_id), runs.path)
  });
  sidebar.title.icon = runsIcon;
  app.shell.add(sidebar, 'left', { rank: 600 });
  restorer?.add(sidebar, 'nbtrack-runs');

  const models = new ModelsPanel(client, openRun);
  models.title.icon = modelsIcon;
  app.shell.add(models, 'left', { rank: 601 });
  restorer?.add(models, 'nbtrack-models');

  const watch = new NotebookWatch(notebooks, client, runs, openRun, [models]);
  registerCommands(app, {
    client,
    currentPath: () => watch.currentPath(),
    impliedRun: () => {
      const selected = runs.selected();
      return selected.length === 1 ? selected[0].run_id : watch.activeCellRun();
    },
    selectedRuns: () => runs.selected().map(run => run.run_id),
    openRun,
    compare,
    showRuns: () => app.shell.activateById(sidebar.id),
    filesChanged: () => void fileBrowser?.model.refresh()
  });
  addToMenus(app, palette);
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
