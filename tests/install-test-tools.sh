#!/bin/sh
# Install the Debian tools the tests use, when missing (CI runs on a fresh Debian machine):
# Chromium for the end-to-end tests (never `playwright install`: the tests drive /usr/bin/chromium),
# DejaVu fonts, and poppler-utils (pdftotext, pdftoppm) to read the plan PDFs back.
set -eu
missing=""
[ -x /usr/bin/chromium ] || missing="$missing chromium fonts-dejavu-core"
command -v pdftoppm >/dev/null 2>&1 || missing="$missing poppler-utils"
[ -n "$missing" ] || exit 0
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-test-tools: missing:$missing, and apt-get is not available" >&2
    exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086  # word splitting of the package list is intended
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
test -x /usr/bin/chromium
command -v pdftoppm >/dev/null
