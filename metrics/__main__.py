"""Entry point of `python -m metrics` (see cli/metrics_cmd.py)."""
import sys

from cli.metrics_cmd import main

sys.exit(main())
