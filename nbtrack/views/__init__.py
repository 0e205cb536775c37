"""Readers that show runs side by side: selection, tables, charts (store + entities only)."""
