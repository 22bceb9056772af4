"""imrdesk entry point: the reviewer's window by default, subcommands for batch work (see --help)."""

import sys

from imrdesk.cli import main

if __name__ == "__main__":
    sys.exit(main())
