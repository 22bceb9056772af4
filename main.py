"""imrdesk entry point: the reviewer's window by default, subcommands for batch work (see --help)."""

import multiprocessing
import sys

from imrdesk.cli import main

if __name__ == "__main__":
    # In a frozen build the import workers (multiprocessing "spawn") start this same executable: let them
    # run their task instead of the command line. Does nothing when run from source.
    multiprocessing.freeze_support()
    sys.exit(main())
