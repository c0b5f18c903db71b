"""`python -m cartrial` is the `cartrial` command."""

from cartrial.cli.main import main

main()
