#!/usr/bin/env bash
# Render the demo report in headless Chromium (Debian's package), fail on console errors,
# and leave a screenshot to look at.
#   bash tools/check_report_in_browser.sh [OUT_DIR]
# Needs: the package installed (python -m pip install ".[plot]"), and Debian's chromium
# (installed here with apt-get when missing and running as root).
set -euo pipefail
out=${1:-report_out}
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "chromium is not installed: sudo apt-get install chromium" >&2; exit 1
  fi
fi
python -m crmanalytics report --demo --out "$out" --quiet
profile=$(mktemp -d)
log="$out/browser.log"
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$profile" --window-size=1200,6000 --enable-logging=stderr --v=1 \
  --screenshot="$out/screenshot.png" "file://$(cd "$out" && pwd)/index.html" 2>"$log" || true
rm -rf "$profile"
test -s "$out/screenshot.png" || { echo "no screenshot was taken; see $log" >&2; exit 1; }
if grep -E "CONSOLE\(|Uncaught|Failed to load resource" "$log" | grep -v "DevTools" ; then
  echo "the report logged console messages (above)" >&2; exit 1
fi
echo "OK: no console errors; screenshot in $out/screenshot.png"
