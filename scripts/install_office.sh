#!/usr/bin/env bash
# PDF versions of the meeting pack and the review report are rendered by LibreOffice (headless, Debian's
# packages) and checked page by page with poppler's pdftoppm; install them when missing. Liberation Serif
# is metric-compatible with Times New Roman, the font of a Party document.
set -euo pipefail
if command -v soffice >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1 && [ -e /usr/lib/libreoffice/program/libsclo.so ] \
   && fc-list 2>/dev/null | grep -qi "Liberation Serif"; then exit 0; fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
echo "[setup] installing Debian libreoffice (headless: Writer, Calc, Impress), poppler-utils, fonts-liberation"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends libreoffice-writer-nogui libreoffice-impress-nogui \
  libreoffice-calc-nogui \
  poppler-utils fonts-liberation fonts-dejavu-core >/dev/null
