"""``python -m monitors`` runs the ``lambda-monitors`` CLI."""

import sys

from monitors.cli import main

if __name__ == "__main__":
    sys.exit(main())
