"""`python -m atnet` is the `atnet` command."""
from .app.cli import main

main()
