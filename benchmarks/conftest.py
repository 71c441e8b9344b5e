"""pytest setup for the engine micro-benchmarks (benchmarks/test_engine_bench.py).

Run them with `PYTHONPATH=. pytest benchmarks --benchmark-only`; the default
test run never collects this directory (pyproject.toml: testpaths).
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:               # the source tree's bt, even without PYTHONPATH
    sys.path.insert(0, str(REPO))

_THROUGHPUT = pytest.StashKey[list]()


@pytest.fixture
def throughput(request, benchmark):
    """record(name, value, unit): keep a figure for the summary and the JSON report."""
    rows = request.config.stash.setdefault(_THROUGHPUT, [])

    def record(name: str, value: float, unit: str) -> None:
        benchmark.extra_info[unit] = value
        rows.append((name, value, unit))
    return record


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    rows = config.stash.get(_THROUGHPUT, [])
    if not rows:
        return
    terminalreporter.section("bt engine throughput (from the median round time)")
    width = max(len(name) for name, _, _ in rows)
    for name, value, unit in rows:
        text = f"{value:,.1f}" if value < 100 else f"{value:,.0f}"
        terminalreporter.write_line(f"  {name:<{width}}  {text:>14} {unit}")
