"""``python -m sim [sim] --format F ...``: the same as ``lowbit sim --format F ...``."""

import sys

from sim.cli import main

args = sys.argv[1:]
sys.exit(main(args if args[:1] == ["sim"] or args[:1] in (["-h"], ["--help"]) else ["sim", *args]))
