"""`python -m atnet` is the `atnet` command."""
from .cli import main

main()
