"""`python -m cxpm` runs the command line."""

from cxpm.cli.main import run

run()
