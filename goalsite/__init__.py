"""goalsite: follow therapy goals in plain text and see them on a private dashboard."""

__version__ = "0.1.0"
