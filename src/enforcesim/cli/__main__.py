"""`python -m enforcesim.cli`: the same as the `enforcesim` command."""

from . import main

main()
