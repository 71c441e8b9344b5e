#!/bin/sh
# Build everything bt needs, from a fresh Debian machine with Python 3.11:
# the Debian packages (gcc-multilib for the guests), a virtualenv in .venv
# with bt and its test dependencies, the compiled engine, and the guests.
# Safe to run again: each step skips what is already done.
set -eu
cd "$(dirname "$0")/.."

apt_install() {
    # Install the Debian packages named that are not installed yet.
    missing=""
    for p in "$@"; do
        dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
    done
    [ -z "$missing" ] && return 0
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        echo "setup: please install these Debian packages:$missing" >&2
        return 1
    fi
    echo "setup: apt-get install$missing" >&2
    # An index that is mid-sync makes 'update' fail while the packages are
    # still there: judge by the install.
    apt-get update -q >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing >/dev/null
}

apt_install gcc gcc-multilib binutils

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    if ! "$PY" -m venv .venv 2>/dev/null; then
        rm -rf .venv
        apt_install python3-venv
        "$PY" -m venv .venv
    fi
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
.venv/bin/python -m pip install -q -e '.[test]'
.venv/bin/python guests/build.py
