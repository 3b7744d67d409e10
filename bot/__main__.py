"""`python -m bot` is the same as the `tierbot` command."""

from bot.cli import main

main()
