#!/usr/bin/env python3
"""netipc-cts command line: `./cts --help` lists the subcommands."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "runners"))

from ctslib.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
