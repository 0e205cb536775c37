/**
 * The extension's commands, registered in one place: export a run as a
 * notebook, open a run, compare runs, show the Runs panel.
 */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import { ICommandPalette, InputDialog, Notification } from '@jupyterlab/apputils';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import type { NbtrackClient } from './api';

/** Command ids. */
export namespace CommandIDs {
  export const exportRun = 'nbtrack:export-run';
  export const openRun = 'nbtrack:open-run';
  export const compare = 'nbtrack:compare-runs';
  export const showRuns = 'nbtrack:show-runs';
}

/** What the commands need from the rest of the extension. */
export interface ICommandContext {
  client: NbtrackClient;
  /** The notebook (or folder) the commands act for: the current notebook's path. */
  currentPath(): string;
  /** The run the user means when none is named: one selected run, else the active cell's run. */
  impliedRun(): string | null;
  /** The runs selected in the Runs panel. */
  selectedRuns(): string[];
  openRun(runId: string, path: string): void;
  compare(runIds: string[], path: string): void;
  showRuns(): void;
  /** Called after a file was written, so the file browser lists it. */
  filesChanged(): void;
}

function runUnderContextMenu(app: JupyterFrontEnd): string | null {
  const node = app.contextMenuHitTest(candidate => !!candidate.dataset.runId);
  return node?.dataset.runId ?? null;
}

function text(args: ReadonlyPartialJSONObject, name: string): string | null {
  const value = args[name];
  return typeof value === 'string' && value ? value : null;
}

/** Add every command to the app's registry. */
export function registerCommands(app: JupyterFrontEnd, context: ICommandContext): void {
  app.commands.addCommand(CommandIDs.exportRun, {
    label: 'Export Run as Notebook',
    caption: 'Write a notebook that re-creates the run, beside the current notebook',
    execute: async args => {
      const runId = text(args, 'runId') ?? runUnderContextMenu(app) ?? context.impliedRun();
      if (!runId) {
        Notification.error(
          'Select one run in the nbtrack Runs panel (or click a cell that has a run badge), then export it.',
          { autoClose: 8000 }
        );
        return;
      }
      const path = text(args, 'path') ?? context.currentPath();
      let name = text(args, 'name');
      if (!name) {
        const answer = await InputDialog.getText({
          title: `Export ${runId.slice(0, 10)} as a notebook`,
          label: 'File name (written beside the notebook)',
          text: `${runId.slice(0, 10)}.ipynb`,
          okLabel: 'Export'
        });
        if (!answer.button.accept || !answer.value) {
          return;
        }
        name = answer.value.endsWith('.ipynb') ? answer.value : `${answer.value}.ipynb`;
      }
      try {
        const result = await context.client.exportRun(runId, path, name);
        context.filesChanged();
        const warnings = result.warnings.length ? ` (${result.warnings.length} warnings)` : '';
        Notification.success(`Exported ${runId.slice(0, 10)} to ${result.path}${warnings}`, {
          autoClose: 8000,
          actions: [
            {
              label: 'Open',
              callback: () => void app.commands.execute('docmanager:open', { path: result.path })
            }
          ]
        });
        return result.path;
      } catch (error) {
        Notification.error(`Export failed: ${(error as Error).message}`, { autoClose: 10000 });
      }
    }
  });

  app.commands.addCommand(CommandIDs.openRun, {
    label: 'Show Run Details',
    execute: args => {
      const runId = text(args, 'runId') ?? runUnderContextMenu(app) ?? context.impliedRun();
      if (runId) {
        context.openRun(runId, text(args, 'path') ?? context.currentPath());
      }
    }
  });

  app.commands.addCommand(CommandIDs.compare, {
    label: 'Compare Selected Runs',
    caption: 'Open the runs selected in the Runs panel side by side',
    isEnabled: args => Array.isArray(args.runIds) || context.selectedRuns().length > 0,
    execute: args => {
      const ids = Array.isArray(args.runIds) ? (args.runIds as string[]) : context.selectedRuns();
      if (ids.length) {
        context.compare(ids, text(args, 'path') ?? context.currentPath());
      }
    }
  });

  app.commands.addCommand(CommandIDs.showRuns, {
    label: 'Show nbtrack Runs',
    execute: () => context.showRuns()
  });
}

/** Put the commands in the palette and in the context menus of run rows and badges. */
export function addToMenus(app: JupyterFrontEnd, palette: ICommandPalette | null): void {
  for (const command of [CommandIDs.exportRun, CommandIDs.compare, CommandIDs.showRuns]) {
    palette?.addItem({ command, category: 'nbtrack' });
  }
  const menu = app.contextMenu;
  menu.addItem({ command: CommandIDs.exportRun, selector: '.jp-nbtrack-run', rank: 1 });
  menu.addItem({ command: CommandIDs.openRun, selector: '.jp-nbtrack-run', rank: 2 });
  menu.addItem({ command: CommandIDs.exportRun, selector: '.jp-nbtrack-Badge[data-run-id]', rank: 1 });
}
