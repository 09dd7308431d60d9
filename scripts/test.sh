#!/usr/bin/env bash
# One command: set up (including Debian chromium for the browser tests) and run the whole test suite.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
bash scripts/install_browser.sh
set +e
python -m pytest "$@"
rc=$?
set -e
if [ "$rc" = "5" ]; then echo "pytest collected no tests: failing" >&2; exit 1; fi
exit "$rc"
