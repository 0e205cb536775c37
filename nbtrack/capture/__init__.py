"""What a ``%%track`` cell records: the classification of its
names into params / metrics / histories / models / inputs, its context and the
summary line shown under it.

This package depends on IPython only where it runs the cell (``runner``).
"""
