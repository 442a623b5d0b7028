"""`python -m goalsite` runs the command line."""

from goalsite.cli import entry

entry()
