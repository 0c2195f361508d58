#!/usr/bin/env bash
# Installs what Hotline needs beyond Rust, from Debian's packages, if it is missing:
# sipp (sip-tester) for the telephony tests and benchmarks, sox and espeak-ng for the
# prompts and test tones, Chromium for the browser tests and a Chinese font for its
# screenshots. Safe to run again; does nothing when all is there.
set -euo pipefail

missing=()
command -v sipp >/dev/null || missing+=(sip-tester)
command -v sox >/dev/null || missing+=(sox)
command -v espeak-ng >/dev/null || missing+=(espeak-ng)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || missing+=(fonts-wqy-microhei)
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]}"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}"
fi
