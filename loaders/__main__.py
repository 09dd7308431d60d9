"""Entry point of `python -m loaders` (see cli/loaders_cmd.py)."""
import sys

from cli.loaders_cmd import main

sys.exit(main())
