#!/bin/sh
# Run bt's test suite (after building everything with setup.sh).
# QEMU is installed when possible: the system-level tests compare bt's
# serial output with qemu-system-i386's on the same images.
set -eu
cd "$(dirname "$0")/.."
sh scripts/setup.sh
# nasm builds the entry-state probe that is compared with QEMU's.
for tool in qemu-system-i386:qemu-system-x86 nasm:nasm; do
    if ! command -v "${tool%%:*}" >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${tool#*:}" >/dev/null 2>&1 \
            || echo "test: ${tool#*:} not installed; the QEMU comparisons that need it are skipped" >&2
    fi
done
exec .venv/bin/python -m pytest -q "$@"
