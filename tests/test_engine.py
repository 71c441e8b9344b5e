"""The translation cache and the fast loop, observed through their counters
on real guests: chaining, the jump cache, a bounded cache that flushes,
self-modifying-code invalidation, exact instruction budgets, the trace."""
from __future__ import annotations

import io

import pytest

from bt.machine import Machine, StopReason


def run_guest(path, **kw):
    out = io.BytesIO()
    with Machine(serial_out=out, **kw) as m:
        m.load_multiboot(path)
        r = m.run()
    return r, out.getvalue()


def test_compute_guest_chains_and_hits_the_cache(guests, guest_expected):
    r, out = run_guest(guests["compute_O2"])
    assert out == guest_expected("compute_O2")[0]
    s = r.stats
    assert s["chained_jumps"] > s["instructions"] // 20     # most block exits are chained
    assert s["jump_cache_hits"] > s["cache_misses"]        # returns and indirect calls hit
    assert s["blocks_translated"] == s["cache_misses"]
    assert s["flushes"] == 0 and s["invalidations"] == 0


def test_a_tiny_cache_flushes_and_still_computes_right(guests, guest_expected):
    # Room for 1000 micro-ops (the guest needs about 4000): the cache must
    # flush many times, and the guest's results must not change.
    r, out = run_guest(guests["compute_O2"], cache_size=1000 * 32)
    assert out == guest_expected("compute_O2")[0]
    assert r.exit_status == guest_expected("compute_O2")[1]
    assert r.stats["flushes"] > 10
    assert r.stats["cache_uops"] <= r.stats["cache_capacity_uops"]


def test_self_modifying_guest_invalidates(guests, guest_expected):
    r, out = run_guest(guests["smc"])
    assert out == guest_expected("smc")[0]
    assert r.stats["invalidations"] > 0
    assert r.stats["smc_block_exits"] > 0       # it wrote into the block it was running


@pytest.mark.parametrize("limit", [1, 2, 17, 1000, 123457])
def test_instruction_budget_is_exact(guests, limit):
    with Machine(serial_out=io.BytesIO()) as m:
        m.load_multiboot(guests["compute_O2"])
        r = m.run(max_instructions=limit)
        assert r.reason == StopReason.LIMIT
        assert r.instructions == limit
        # Resuming runs on from exactly where it stopped.
        r2 = m.run(max_instructions=limit)
        assert r2.instructions == limit


def test_budgeted_runs_give_the_same_result(guests, guest_expected):
    out = io.BytesIO()
    with Machine(serial_out=out) as m:
        m.load_multiboot(guests["compute_O1"])
        total = 0
        while True:
            r = m.run(max_instructions=9973)
            total += r.instructions
            if r.reason != StopReason.LIMIT:
                break
    assert out.getvalue() == guest_expected("compute_O1")[0]
    assert r.exit_status == guest_expected("compute_O1")[1]


def test_trace_has_one_line_per_block(guests, tmp_path):
    trace = tmp_path / "trace.txt"
    with Machine(serial_out=io.BytesIO(), trace_file=str(trace)) as m:
        m.load_multiboot(guests["mov"])
        r = m.run()
    lines = trace.read_text().splitlines()
    addrs = [int(ln.split()[0], 16) for ln in lines]
    counts = [int(ln.split()[1]) for ln in lines]
    assert addrs[0] == m.image.entry
    assert all(1 <= c <= 128 for c in counts)
    # Every block entered is listed; the executed instructions cannot exceed the listed ones.
    assert sum(counts) >= r.instructions
