#!/usr/bin/env bash
# One command: set up, load the sample organisation into the default database (once), open the dashboard.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
python -m loaders sample
exec python -m ui.serve --server.headless=true --browser.gatherUsageStats=false "$@"
