"""Monitoring models: data drift between a reference and a current table."""
