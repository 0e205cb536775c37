/**
 * Run badges on notebook cells: the status and headline metric of the latest
 * run of every cell that has runs or starts with `%%track`.
 */
import type { Cell } from '@jupyterlab/cells';
import type { NotebookPanel } from '@jupyterlab/notebook';
import type { PanelLayout } from '@lumino/widgets';
import { Widget } from '@lumino/widgets';

import type { NbtrackClient } from './api';
import { badgeFor, type IBadge, isTrackedSource } from './cells';

/** How often a shown notebook's badges are fetched again (ms): runs made elsewhere. */
export const BADGE_POLL_INTERVAL = 10000;
const DEBOUNCE = 250;

/** One badge, placed between a cell's input and its outputs. */
class BadgeWidget extends Widget {
  runId: string | null = null;

  constructor(onClick: (runId: string) => void) {
    super({ node: document.createElement('button') });
    this.addClass('jp-nbtrack-Badge');
    this.node.addEventListener('click', event => {
      event.stopPropagation();
      if (this.runId) {
        onClick(this.runId);
      }
    });
  }

  present(badge: IBadge): void {
    this.runId = badge.runId;
    this.node.textContent = badge.text;
    this.node.title = badge.title;
    this.node.className = `jp-nbtrack-Badge jp-mod-${badge.mod}`;
    if (badge.runId) {
      this.node.dataset.runId = badge.runId;
    } else {
      delete this.node.dataset.runId;
    }
  }
}

/** The badges of one open notebook; disposed with it. */
export class NotebookBadges {
  private readonly badges = new Map<Cell, BadgeWidget>();
  private timer: number | undefined;
  private pending: number | undefined;
  private disposed = false;

  constructor(
    private readonly panel: NotebookPanel,
    private readonly client: NbtrackClient,
    private readonly openRun: (runId: string, path: string) => void
  ) {
    panel.context.ready.then(() => {
      if (this.disposed) {
        return;
      }
      this.schedule();
      panel.content.model?.cells.changed.connect(this.schedule, this);
      this.timer = window.setInterval(() => {
        if (document.visibilityState === 'visible' && panel.isVisible) {
          this.schedule();
        }
      }, BADGE_POLL_INTERVAL);
    });
    panel.disposed.connect(() => this.dispose());
  }

  /** Fetch the badges again soon (calls in a burst make one request). */
  schedule(): void {
    window.clearTimeout(this.pending);
    this.pending = window.setTimeout(() => void this.refresh(), DEBOUNCE);
  }

  /** The run id of a cell's badge, if it has a run. */
  runOf(cell: Cell): string | null {
    return this.badges.get(cell)?.runId ?? null;
  }

  async refresh(): Promise<void> {
    if (this.disposed) {
      return;
    }
    const cells = this.panel.content.widgets.filter(cell => cell.model.type === 'code');
    let known: Awaited<ReturnType<NbtrackClient['cells']>>['cells'];
    try {
      known = (await this.client.cells(this.panel.context.path, cells.map(c => c.model.id))).cells;
    } catch {
      return; // the Runs panel shows request errors; a badge keeps its last state
    }
    if (this.disposed) {
      return;
    }
    const present = new Set(cells);
    for (const [cell, widget] of this.badges) {
      if (!present.has(cell) || cell.isDisposed) {
        widget.dispose();
        this.badges.delete(cell);
      }
    }
    for (const cell of cells) {
      const badge = badgeFor(known[cell.model.id], isTrackedSource(cell.model.sharedModel.getSource()));
      const existing = this.badges.get(cell);
      if (!badge) {
        existing?.dispose();
        this.badges.delete(cell);
        continue;
      }
      const widget = existing && !existing.isDisposed ? existing : this.attach(cell);
      widget?.present(badge);
    }
  }

  private attach(cell: Cell): BadgeWidget | undefined {
    const layout = cell.layout as PanelLayout | null;
    const input = cell.inputArea?.parent;
    if (!layout || !input) {
      return undefined;
    }
    const widget = new BadgeWidget(runId => this.openRun(runId, this.panel.context.path));
    layout.insertWidget(layout.widgets.indexOf(input) + 1, widget);
    this.badges.set(cell, widget);
    return widget;
  }

  dispose(): void {
    if (this.disposed) {
      return;
    }
    this.disposed = true;
    window.clearInterval(this.timer);
    window.clearTimeout(this.pending);
    for (const widget of this.badges.values()) {
      widget.dispose();
    }
    this.badges.clear();
  }
}
