/**
 * What follows the open notebooks: run badges on each one's tracked cells,
 * refreshed after a cell runs, and the Runs list following the current notebook.
 */
import { INotebookTracker, Notebook, NotebookActions, NotebookPanel } from '@jupyterlab/notebook';

import type { NbtrackClient } from './api';
import { NotebookBadges } from './badges';
import type { RunsModel } from './runs-model';

/** Something that shows the store beside a notebook (the runs list, the models). */
export interface IFollower {
  setPath(path: string): Promise<void>;
  /** A cell of the notebook at `path` finished running. */
  cellExecuted?(path: string): void;
}

/** Keeps badges on every open notebook and the sidebar on the current one's store. */
export class NotebookWatch {
  private readonly badges = new Map<NotebookPanel, NotebookBadges>();

  constructor(
    private readonly notebooks: INotebookTracker,
    client: NbtrackClient,
    private readonly runs: RunsModel,
    openRun: (runId: string, path: string) => void,
    private readonly followers: IFollower[] = []
  ) {
    notebooks.currentChanged.connect(this.follow, this);
    this.follow();
    notebooks.widgetAdded.connect((_, notebook) => {
      this.badges.set(notebook, new NotebookBadges(notebook, client, openRun));
      notebook.disposed.connect(() => this.badges.delete(notebook));
    });
    NotebookActions.executed.connect((_, { notebook }) => this.executed(notebook));
  }

  /** The path of the current notebook (the runs list's, when none is current). */
  currentPath(): string {
    return this.notebooks.currentWidget?.context.path ?? this.runs.path;
  }

  /** The run of the current notebook's active cell, if it has a badge. */
  activeCellRun(): string | null {
    const notebook = this.notebooks.currentWidget;
    const cell = notebook?.content.activeCell;
    return notebook && cell ? (this.badges.get(notebook)?.runOf(cell) ?? null) : null;
  }

  private follow(): void {
    const path = this.notebooks.currentWidget?.context.path ?? '';
    for (const follower of [this.runs, ...this.followers]) {
      void follower.setPath(path);
    }
  }

  private executed(notebook: Notebook): void {
    for (const [open, cellBadges] of this.badges) {
      if (open.content === notebook) {
        cellBadges.schedule();
        if (open.context.path === this.runs.path) {
          void this.runs.refresh();
        }
        for (const follower of this.followers) {
          follower.cellExecuted?.(open.context.path);
        }
      }
    }
  }
}
