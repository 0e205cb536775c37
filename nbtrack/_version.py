"""The package version (one source for Python and the JupyterLab extension)."""

__version__ = "0.1.0"
