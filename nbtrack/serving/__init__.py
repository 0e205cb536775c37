"""Serving registered models over HTTP (``nbtrack serve``); needs the ``serve`` extra."""
