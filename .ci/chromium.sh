#!/usr/bin/env bash
# Make headless Chromium (and a font with Chinese glyphs, for readable screenshots) available to the
# dashboard's end-to-end test. Sourced by .ci/run; installs Debian's packages only when absent.
set -euo pipefail
if ! command -v chromium >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null
fi
