"""``python -m sim COMMAND ...``: the same as ``lowbit COMMAND ...`` (``python -m sim --format
F`` without a command means ``sim``)."""

import sys

from sim.cli import main

_COMMANDS = ("sim", "synth", "units", "calibrate", "cost", "sweep", "-h", "--help")
args = sys.argv[1:]
sys.exit(main(args if args[:1] and args[0] in _COMMANDS else ["sim", *args]))
