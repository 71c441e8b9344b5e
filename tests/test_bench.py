"""`bt bench`: the benchmark runner end to end on a tiny workload, and its reporting.

The full benchmark takes minutes; here `mix` runs at 1% of its default size
natively and under bt, and the JSON report must show the same checksum from
both and positive times. Skipped only when gcc cannot build 32-bit code.
"""
from __future__ import annotations

import argparse
import json
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BUILD_SCRIPT = REPO / "benchmarks" / "build.py"


@pytest.fixture(scope="module")
def bench_build() -> dict:
    """benchmarks/build.py as a namespace; skips when gcc-multilib is missing."""
    mod = runpy.run_path(str(BUILD_SCRIPT), run_name="bench_build")
    try:
        mod["check_toolchain"]()
    except mod["BuildError"] as exc:
        pytest.skip(f"cannot build 32-bit benchmark programs: {exc}")
    return mod


def _bench_command(env: dict[str, str]) -> list[str]:
    """`python -m bt bench` once the CLI has the subcommand, else `python -m bt.bench`."""
    probe = subprocess.run([sys.executable, "-m", "bt", "bench", "--help"],
                           capture_output=True, text=True, env=env, timeout=60)
    if probe.returncode == 0 and "--workloads" in probe.stdout:
        return [sys.executable, "-m", "bt", "bench"]
    return [sys.executable, "-m", "bt.bench"]


def _env() -> dict[str, str]:
    import os
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


def test_bench_mix_native_and_bt(bench_build, engine_module, tmp_path):
    out = tmp_path / "out.json"
    env = _env()
    cmd = _bench_command(env) + ["--workloads", "mix", "--scale", "0.01", "--repeat", "1",
                                 "--engines", "native,bt", "--json", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120,
                          cwd=tmp_path)
    assert proc.returncode == 0, f"{cmd}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    doc = json.loads(out.read_text())
    assert doc["format"] == "bt-bench"
    [res] = doc["results"]
    assert res["workload"] == "mix"
    assert res["iterations"] >= 1
    native, bt = res["engines"]["native"], res["engines"]["bt"]
    assert native["status"] == "ok" and bt["status"] == "ok", (native, bt)
    assert native["checksum"] == bt["checksum"] == res["reference_checksum"]
    assert native["checksum"].startswith("0x")
    assert native["seconds"] > 0 and bt["seconds"] > 0
    assert bt["instructions"] > 0 and bt["mips"] > 0
    assert bt["stats"]["instructions"] > 0
    assert res["ratios"]["bt/native"] > 0
    # the table went to stdout, the progress lines to stderr
    assert "mix" in proc.stdout and "bt/native" in proc.stdout
    assert "FAILED" not in proc.stdout


def _args(**kw) -> argparse.Namespace:
    from bt import bench
    parser = argparse.ArgumentParser()
    bench.add_arguments(parser)
    return parser.parse_args([f"--{k}={v}" for k, v in kw.items()])


def test_checksum_mismatch_is_a_failed_row(bench_build, monkeypatch, capsys):
    """A guest that computes a different checksum is reported FAILED, never timed."""
    from bt import bench

    def wrong(elf, iterations, timeout):
        return bench.Run(True, wall=0.5 if iterations else 0.01,
                         checksum="0x0000000000000bad", tsc=1, iterations=iterations,
                         instructions=1000, stats={})
    monkeypatch.setattr(bench, "run_bt", wrong)
    monkeypatch.setattr(bench, "_probe_kvm", lambda *a: (None, "not probed in tests"))
    status = bench.run_bench(_args(workloads="alu", scale="0.001", repeat="1",
                                   engines="native,bt"))
    out = capsys.readouterr().out
    assert status == 1
    row = next(line for line in out.splitlines() if line.startswith("alu"))
    assert "FAILED (checksum)" in row
    assert "0x0000000000000bad" in out          # the note says what differed


def test_guest_failure_is_reported_not_timed(bench_build, monkeypatch, capsys):
    from bt import bench

    def crash(elf, iterations, timeout):
        return bench.Run(False, bench.FAILED, "fault: invalid opcode at 0x00100000")
    monkeypatch.setattr(bench, "run_bt", crash)
    status = bench.run_bench(_args(workloads="alu", scale="0.001", repeat="1",
                                   engines="native,bt"))
    out = capsys.readouterr().out
    assert status == 1
    assert "FAILED" in next(line for line in out.splitlines() if line.startswith("alu"))
    assert "invalid opcode" in out


def test_bench_line_parsing():
    from bt.bench import _parse_bench_line
    native = b"BENCH name=mix iterations=50 checksum=0x00000000DEADbeef ns=123 tsc=456\n"
    assert _parse_bench_line(native) == ("mix", 50, "0x00000000deadbeef", 123, 456)
    serial = b"noise\nBENCH name=alu iterations=7 checksum=0x0123456789abcdef tsc=99\r\n"
    assert _parse_bench_line(serial) == ("alu", 7, "0x0123456789abcdef", None, 99)
    assert _parse_bench_line(b"BENCH name=alu iterations=7") is None


def test_bad_options_are_one_line_errors(bench_build):
    from bt import bench
    from bt.errors import BtError
    with pytest.raises(BtError, match="unknown workload 'nope'"):
        bench.run_bench(_args(workloads="nope"))
    with pytest.raises(BtError, match="unknown engine 'vmware'"):
        bench.run_bench(_args(engines="bt,vmware"))
    with pytest.raises(SystemExit):
        _args(repeat="0")


# ------------------------------------------------------------ nanobenchmarks

NANO_PENDING = ("syscall", "page_fault", "pte_write", "divzero")


def test_nano_suite_under_bt(bench_build, engine_module, tmp_path):
    """`bt bench --nano` under bt alone at a small iteration count: every
    operation costs a positive number of ns, and the pending ones are listed."""
    out = tmp_path / "nano.json"
    env = _env()
    cmd = _bench_command(env) + ["--nano", "--engines", "bt", "--nano-iters", "200",
                                 "--repeat", "1", "--json", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60,
                          cwd=tmp_path)
    assert proc.returncode == 0, f"{cmd}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    doc = json.loads(out.read_text())
    nano = doc["nano"]
    assert doc["results"] == []                       # no workload ran
    assert nano["iterations"] == 200
    bt = nano["engines"]["bt"]
    assert bt["status"] == "ok", bt
    expected = {"add", "cli", "sti", "cli_sti", "pushf", "popf", "pushf_popf", "in80",
                "in3fd", "out80", "mov_cr3", "cpuid", "rdtsc", "call_ret"}
    assert expected <= set(nano["ops"])
    for name, op in nano["ops"].items():
        assert op["bt"]["ticks_per_op"] > 0, (name, op)
        assert op["bt"]["ns_per_op"] == pytest.approx(op["bt"]["ticks_per_op"])  # 1 GHz
    [run] = bt["runs"]
    assert run["results"]["cli"]["iterations"] == 200
    assert run["stats"]["instructions"] > 0
    assert sorted(run["pending"]) == sorted(NANO_PENDING)
    assert sorted(p["name"] for p in nano["pending"]) == sorted(NANO_PENDING)
    # The table: one row per operation with a number, the pending rows, notes.
    lines = proc.stdout.splitlines()
    for name in expected:
        row = next(line for line in lines if line.split()[:1] == [name])
        assert float(row.split()[2].replace(",", "")) > 0, row
    for name in NANO_PENDING:
        row = next(line for line in lines if line.split()[:1] == [name])
        assert "pending" in row
        assert any(line.strip().startswith(f"{name}:") for line in lines), name
    assert "bt/add" in proc.stdout and "FAILED" not in proc.stdout


def test_nano_output_parsing():
    from bt.bench import parse_nano_output
    text = ("NANO begin reps=10 rounds=5\r\n"
            "NANO name=cli cycles_per_op=1.250 iterations=100 ops=1000 op_tsc=3000 "
            "base_tsc=1750 unit=insn\r\n"
            "NANO name=cli_sti cycles_per_op=-0.010 iterations=100 ops=2000 op_tsc=990 "
            "base_tsc=1010 unit=pair/2\n"
            'NANO name=syscall pending="Ring 3 round trip" needs="rings"\n'
            "NANO host ns=50000000 tsc=125000000\n"
            "NANO done\n")
    results, pending, done, host = parse_nano_output(text)
    assert done and host == pytest.approx(2.5e9)
    assert results["cli"]["ticks_per_op"] == pytest.approx(1.25)
    assert results["cli_sti"]["ticks_per_op"] == pytest.approx(-0.01)
    assert results["cli_sti"]["unit"] == "pair/2"
    assert [(p.name, p.about, p.needs) for p in pending] == [
        ("syscall", "Ring 3 round trip", "rings")]
    assert parse_nano_output("NANO name=cli cycles_per")[:3] == ({}, [], False)


def _fake_nano_bt(ok: bool = True):
    from bt import bench

    def run(elf, append, wanted, timeout):
        if not ok:
            return bench.NanoRun(False, bench.FAILED, "fault: general protection at 0x1000")
        res = {n: {"ticks_per_op": 2.0, "iterations": 1, "ops": 10, "op_tsc": 30,
                   "base_tsc": 10, "unit": "insn"} for n in wanted}
        return bench.NanoRun(True, results=res, pending=list(NANO_PENDING))
    return run


def test_nano_missing_qemu_is_not_installed(bench_build, monkeypatch, capsys):
    from bt import bench
    monkeypatch.setattr(bench, "run_nano_bt", _fake_nano_bt())
    monkeypatch.setattr(bench, "_qemu_version", lambda: None)
    status = bench.run_bench(_args(suite="nano", engines="bt,qemu,kvm", repeat="1",
                                   ops="cli,add"))
    out = capsys.readouterr().out
    assert status == 0
    row = next(line for line in out.splitlines() if line.startswith("cli "))
    assert row.split()[2:4] == ["2.00", "1.0"]      # bt ns, bt/add
    assert "n/a" in row
    assert "qemu-system-i386 is not installed" in out
    assert next(line for line in out.splitlines() if line.startswith("divzero"))


def test_nano_bt_failure_is_reported(bench_build, monkeypatch, capsys):
    from bt import bench
    monkeypatch.setattr(bench, "run_nano_bt", _fake_nano_bt(ok=False))
    status = bench.run_bench(_args(suite="nano", engines="bt", repeat="1", ops="cli"))
    out = capsys.readouterr().out
    assert status == 1
    assert "FAILED" in next(line for line in out.splitlines() if line.startswith("cli "))
    assert "general protection" in out


def test_nano_bad_op_is_a_one_line_error(bench_build):
    from bt import bench
    from bt.errors import BtError
    with pytest.raises(BtError, match="unknown op 'nosuch'"):
        bench.run_bench(_args(ops="cli,nosuch", engines="bt"))
