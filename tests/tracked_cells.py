"""Helpers for tests that run a tracked cell in IPython's test shell."""

from __future__ import annotations

import nbtrack


def run_tracked(shell, setup: str, body: str):
    """Run ``setup`` untracked, then ``body`` as a quiet ``%%track`` cell; return its run."""
    shell.run_cell(setup, store_history=True)
    result = shell.run_cell("%%track --quiet\n" + body, store_history=True)
    assert result.success, result.error_in_exec
    return nbtrack.get_run(nbtrack.tracker().store.search(limit=1).base["run_id"][0])
