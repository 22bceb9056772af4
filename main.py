"""imrdesk entry point: the reviewer's window by default, subcommands for batch work (see --help)."""

import sys

if __name__ == "__main__":
    import multiprocessing

    # In a frozen build the import workers (multiprocessing "spawn") start this same executable: let them
    # run their task instead of the command line. Does nothing when run from source.
    multiprocessing.freeze_support()
    # Imported here, not above: a worker started from source runs this file again as its main module
    # (``__mp_main__``), and it needs none of the command line (a twentieth of a second at every start).
    from imrdesk.cli import main

    sys.exit(main())
