"""Entry point of `python -m loaders` (see loaders/cli.py)."""
import sys

from loaders.cli import main

sys.exit(main())
