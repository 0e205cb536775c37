"""Reproducible runs: a run's dependency slice, its export as a notebook, its re-execution."""
