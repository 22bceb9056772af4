"""``python -m imrdesk``: the same program as ``main.py`` and the ``imrdesk`` command (see --help)."""

import multiprocessing
import sys

from imrdesk.cli import main

if __name__ == "__main__":
    # The import workers (multiprocessing "spawn") start a fresh interpreter: let a frozen one run its task
    # instead of the command line. Does nothing when run from source or an installed package.
    multiprocessing.freeze_support()
    sys.exit(main())
