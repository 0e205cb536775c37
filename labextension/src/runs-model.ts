/**
 * The Runs sidebar's state: which store (the notebook it follows), the filter,
 * the newest runs, the selection, and change detection for refreshes.
 */
import { NbtrackClient, NbtrackRequestError } from './api';
import type { IRunRow, IRunsPage } from './tokens';

/** A cheap fingerprint of a listing: equal fingerprints draw the same rows. */
export function pageSignature(page: IRunsPage): string {
  return JSON.stringify([
    page.store,
    page.total,
    page.runs.map(run => [run.run_id, run.status, run.duration, run.metrics, run.name])
  ]);
}

/** The state behind the Runs sidebar; views subscribe with `onChange`. */
export class RunsModel {
  /** The notebook (or folder) whose store is listed. */
  path = '';
  filter = '';
  page: IRunsPage | null = null;
  /** The last request's error, shown above the (last good) list. */
  error: string | null = null;
  private selection = new Map<string, IRunRow>();
  private listeners: (() => void)[] = [];
  private signature = '';
  private sequence = 0;

  constructor(
    private readonly client: NbtrackClient,
    readonly pageSize = 100
  ) {}

  /** Call `listener` after every change; returns the function that unsubscribes. */
  onChange(listener: () => void): () => void {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter(l => l !== listener);
    };
  }

  /** Follow another notebook; its store may differ, so the selection is cleared. */
  async setPath(path: string): Promise<boolean> {
    if (path === this.path && this.page) {
      return false;
    }
    this.path = path;
    this.selection.clear();
    return this.refresh(true);
  }

  /** Apply a filter in the runs() syntax (`metrics.acc > 0.9 and params.model = 'rf'`). */
  async setFilter(filter: string): Promise<boolean> {
    this.filter = filter;
    return this.refresh(true);
  }

  /**
   * Fetch the runs again; listeners hear of it only when something changed
   * (or `force`). A response that arrives after a newer request is dropped.
   */
  async refresh(force = false): Promise<boolean> {
    const ticket = ++this.sequence;
    try {
      const page = await this.client.runs({
        path: this.path,
        filter: this.filter,
        limit: this.pageSize
      });
      if (ticket !== this.sequence) {
        return false;
      }
      const signature = pageSignature(page);
      const changed = signature !== this.signature || this.error !== null;
      this.page = page;
      this.signature = signature;
      this.error = null;
      for (const run of page.runs) {
        if (this.selection.has(run.run_id)) {
          this.selection.set(run.run_id, run);
        }
      }
      if (changed || force) {
        this.emit();
      }
      return changed;
    } catch (error) {
      if (ticket !== this.sequence) {
        return false;
      }
      const message = error instanceof NbtrackRequestError ? error.message : String(error);
      const changed = message !== this.error;
      this.error = message;
      if (changed || force) {
        this.emit();
      }
      return changed;
    }
  }

  /** Select or unselect a run of the current listing. */
  toggle(runId: string): void {
    if (this.selection.has(runId)) {
      this.selection.delete(runId);
    } else {
      const run = this.page?.runs.find(r => r.run_id === runId);
      if (!run) {
        return;
      }
      this.selection.set(runId, run);
    }
    this.emit();
  }

  isSelected(runId: string): boolean {
    return this.selection.has(runId);
  }

  /** The selected runs, in the order they were selected. */
  selected(): IRunRow[] {
    return [...this.selection.values()];
  }

  clearSelection(): void {
    this.selection.clear();
    this.emit();
  }

  private emit(): void {
    for (const listener of this.listeners) {
      listener();
    }
  }
}
