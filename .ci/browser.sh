#!/usr/bin/env bash
# Installs Debian's Chromium for the browser end-to-end test (test/web/e2e.test.ts drives it with playwright-core)
# when /usr/bin/chromium is absent. Needs root (apt-get); does nothing when Chromium is already there.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  echo "chromium: $(/usr/bin/chromium --version 2>/dev/null || echo present)"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else echo "browser.sh: /usr/bin/chromium is absent and installing it needs root (apt-get)" >&2; exit 1; fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
/usr/bin/chromium --version
