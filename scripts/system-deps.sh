#!/usr/bin/env bash
# Installs the Debian packages the service and its tests need, once. Safe to run again.
set -euo pipefail
need=()
command -v espeak-ng >/dev/null || need+=(espeak-ng)
command -v sox >/dev/null || need+=(sox)
{ command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; } || need+=(postgresql)
command -v docker-compose >/dev/null || need+=(docker-compose)
{ command -v kamailio >/dev/null || [ -x /usr/sbin/kamailio ]; } || need+=(kamailio)  # kamailio -c of deploy/kamailio (scale profile)
command -v chromium >/dev/null || need+=(chromium)  # browser tests (tests/browser, Playwright)
[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need+=(fonts-wqy-microhei)  # CJK glyphs in browser screenshots
command -v fc-list >/dev/null || need+=(fontconfig)  # font lookup for matplotlib, WeasyPrint and Chromium
[ -n "$(fc-list "Noto Sans CJK SC" 2>/dev/null)" ] || need+=(fonts-noto-cjk)  # reports: CJK font for charts and PDF
/sbin/ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0.so.0 || need+=(libpangoft2-1.0-0)  # WeasyPrint (report PDFs)
command -v pdftotext >/dev/null || need+=(poppler-utils)  # reports tests: pdftotext, pdffonts
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages: ${need[*]} (run: sudo apt-get install -y ${need[*]})" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${need[@]}"
