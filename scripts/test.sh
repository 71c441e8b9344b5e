#!/bin/sh
# Run bt's test suite (after building everything with setup.sh).
# QEMU is installed when possible: the system-level tests compare bt's
# serial output with qemu-system-i386's on the same images.
set -eu
cd "$(dirname "$0")/.."
sh scripts/setup.sh
if ! command -v qemu-system-i386 >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q qemu-system-x86 >/dev/null 2>&1 \
        || echo "test: qemu-system-x86 not installed; the QEMU comparisons are skipped" >&2
fi
exec .venv/bin/python -m pytest -q "$@"
