"""Reading a cell's code without running it: what it binds, reads and changes
(``cells``), which expressions are bookkeeping (``expressions``), the Python
inside cell magics (``magic_cells``), and the earlier cells a run depends on
(``slicing``). Shared by capture and export; depends on the standard library only.
"""
