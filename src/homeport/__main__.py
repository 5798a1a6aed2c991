"""`python -m homeport` runs the command line."""

from homeport.cli.main import run

run()
