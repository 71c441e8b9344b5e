"""`bt bench`: the same workload natively, under bt, under QEMU (TCG) and KVM.

Each workload in benchmarks/workloads/ is compiled once and linked twice
(benchmarks/build.py): a native 32-bit Linux program and a Multiboot guest
kernel. The runner times

  native    the native program; it times workload_run() itself (CLOCK_MONOTONIC)
  bt        the guest under bt, in a worker process that drives bt.machine.Machine
            in-process (so the engine's counters come back: instructions, MIPS)
  qemu      the guest under qemu-system-i386 (TCG), when installed
  kvm       the guest under qemu-system-i386 -enable-kvm -cpu host, when /dev/kvm
            is usable

and checks that every engine returns the native checksum: a mismatch is a
FAILED row, never a number. A guest's time is its wall time seen from the
host minus the wall time of the same kernel booted with iters=0 (boot,
serial output and power-off). Every guest run has a timeout; a guest that
crashes, faults or times out is reported as such.

The nanobenchmarks (benchmarks/nano/, `--suite nano` or `--nano`) time
single operations, above all the sensitive instructions that bt turns into
callouts (CLI, STI, PUSHF, POPF, IN, OUT, MOV CR3, CPUID, RDTSC), beside a
plain ALU op and call/ret: a guest kernel times a loop with the operation
and the same loop without it with RDTSC, under bt, QEMU and KVM; a native
program runs the operations that are legal in Ring 3 and measures the host's
TSC rate. The second table shows nanoseconds (and TSC ticks) per operation.

Used as `bt bench ...` (bt/cli.py calls add_arguments and run_bench) or as
`python -m bt.bench ...` from the source tree.
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime
import io
import json
import math
import os
import platform
import re
import runpy
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Sequence

from .errors import BtError

__all__ = ["add_arguments", "run_bench", "main", "DESCRIPTION", "HELP", "ENGINES"]

HELP = ("compare bt with native execution, QEMU (TCG) and KVM on benchmark workloads "
        "and nanobenchmarks")
DESCRIPTION = (
    "Run benchmark workloads natively, under bt, under qemu-system-i386 (TCG) and "
    "under KVM. The same compiled workload code runs everywhere; checksums must "
    "match. Guest times are host wall time minus the same guest's boot time "
    "(iters=0). Then the nanobenchmarks: the cost of single operations (CLI, STI, "
    "PUSHF, POPF, port I/O, MOV CR3, CPUID, RDTSC, call/ret, a plain ALU op) in a "
    "guest kernel timed with RDTSC, in ns per operation. Times are medians of "
    "--repeat runs.")
SUITES = ("workloads", "nano", "all")

ENGINES = ("native", "bt", "qemu", "kvm")
LABELS = {"native": "native", "bt": "bt", "qemu": "qemu-tcg", "kvm": "kvm"}
QEMU = "qemu-system-i386"
QEMU_ARGS = ["-m", "128", "-serial", "stdio", "-display", "none",
             "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-no-reboot"]
# CPU models tried for KVM, in order. QEMU 7.2 on a nested /dev/kvm may abort on
# `-cpu host` ("failed to set MSR 0x10a": IA32_ARCH_CAPABILITIES); the same model
# without that MSR then works.
KVM_CPUS = ("host", "host,-arch-capabilities")
BT_TSC_HZ = 1e9                    # bt's TSC: a 1 GHz clock following host time
NANO_TARGET_TICKS = 10_000_000     # TSC ticks one nanobenchmark loop should last
NANO_TIMEOUT = 120.0               # seconds for one run of the nano guest
JSON_VERSION = 1

REPO = Path(__file__).resolve().parent.parent
BENCH_DIR = REPO / "benchmarks"
BUILD_SCRIPT = BENCH_DIR / "build.py"

_BENCH_LINE = re.compile(rb"BENCH name=(\S+) iterations=(\d+) checksum=(0x[0-9a-fA-F]+)"
                         rb"(?: ns=(\d+))? tsc=(\d+)")

# Status of one engine on one workload.
OK = "ok"
MISMATCH = "mismatch"          # ran, but the checksum differs from native's
FAILED = "failed"              # crashed, faulted, exited oddly, printed nothing
TIMEOUT = "timeout"
UNAVAILABLE = "unavailable"    # not installed / not usable here
TOO_SHORT = "too-short"        # ran fine but the workload time is below the noise


class BenchError(BtError):
    """A problem the user can fix (missing toolchain, bad option, no source tree)."""


# ----------------------------------------------------------------- arguments

def _positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {v}")
    return v


def _positive_float(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not v > 0 or math.isinf(v):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}")
    return v


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the `bt bench` options to `parser` (a subcommand's parser)."""
    parser.add_argument("--workloads", "-w", metavar="A,B", default=None,
                        help="comma-separated workloads (default: all; see --list)")
    parser.add_argument("--engines", "-e", metavar="A,B", default=",".join(ENGINES),
                        help="comma-separated subset of native,bt,qemu,kvm "
                        "(default: all; the native program always runs at least once "
                        "to give the reference checksum)")
    parser.add_argument("--repeat", "-r", metavar="N", type=_positive_int, default=3,
                        help="runs per engine and workload; the median is reported (default 3)")
    parser.add_argument("--scale", "-s", metavar="F", type=_positive_float, default=1.0,
                        help="multiply every workload's default iteration count, and "
                        "the time of each nanobenchmark loop, by F (default 1: about "
                        "half a second natively per workload)")
    parser.add_argument("--timeout", metavar="SEC", type=_positive_float, default=None,
                        help="limit for one guest run (default: 60 s plus 200 to 1000 "
                        "times the native time; nanobenchmarks: "
                        f"{NANO_TIMEOUT:.0f} s)")
    parser.add_argument("--json", metavar="FILE", default=None,
                        help="write all raw results (every run, bt's counters, MIPS) to FILE")
    parser.add_argument("--plot", metavar="FILE", default=None,
                        help="draw the slowdowns relative to native into FILE (.png; "
                        "needs matplotlib)")
    parser.add_argument("--suite", choices=SUITES, default=None,
                        help="what to run: the workloads, the nanobenchmarks or both "
                        "(default: all, or the suite that --workloads or --ops names)")
    parser.add_argument("--nano", action="store_const", dest="suite", const="nano",
                        help="run only the nanobenchmarks (the same as --suite nano)")
    parser.add_argument("--ops", metavar="A,B", default=None,
                        help="comma-separated nanobenchmark operations (default: all; "
                        "see --list)")
    parser.add_argument("--nano-iters", metavar="N", type=_positive_int, default=None,
                        help="loop iterations of every nanobenchmark (default: for each "
                        "operation, the count that makes its loop last about "
                        f"{NANO_TARGET_TICKS / 1e6:g} million TSC ticks times --scale)")
    parser.add_argument("--list", action="store_true",
                        help="list the workloads and the nanobenchmarks and exit")


# ----------------------------------------------------------------- progress

class _Progress:
    """One status line on stderr: rewritten in place on a terminal, else one line per step."""

    def __init__(self, stream=None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.active = False

    def show(self, text: str) -> None:
        if self.tty:
            width = shutil.get_terminal_size((100, 20)).columns - 1
            self.stream.write("\r\033[K" + text[:width])
            self.active = True
        else:
            self.stream.write(f"bench: {text}\n")
        self.stream.flush()

    def clear(self) -> None:
        if self.tty and self.active:
            self.stream.write("\r\033[K")
            self.stream.flush()
        self.active = False


# --------------------------------------------------------------- one run

@dataclasses.dataclass
class Run:
    """The outcome of one execution of a workload under one engine."""

    ok: bool
    status: str = OK               # OK, FAILED or TIMEOUT
    message: str = ""
    wall: float = 0.0              # host wall seconds (guest: whole run; native: workload)
    checksum: str | None = None
    tsc: int | None = None
    iterations: int | None = None
    instructions: int | None = None    # bt only
    stats: dict[str, Any] | None = None  # bt only

    def to_json(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        if d["stats"] is None:
            del d["stats"]
        return d


def _parse_bench_line(output: bytes) -> tuple[str, int, str, int | None, int] | None:
    m = None
    for m in _BENCH_LINE.finditer(output):
        pass
    if m is None:
        return None
    ns = int(m.group(4)) if m.group(4) is not None else None
    return (m.group(1).decode(), int(m.group(2)), m.group(3).decode().lower(), ns,
            int(m.group(5)))


def _tail(data: bytes | str, n: int = 300) -> str:
    text = data.decode(errors="replace") if isinstance(data, bytes) else data
    text = " ".join(text.split())
    return text if len(text) <= n else "..." + text[-n:]


def run_native(exe: Path, iterations: int, timeout: float) -> Run:
    try:
        p = subprocess.run([str(exe), str(iterations)], stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return Run(False, TIMEOUT, f"no result within {timeout:.0f} s")
    except OSError as e:
        return Run(False, FAILED, f"cannot run {exe}: {e}")
    parsed = _parse_bench_line(p.stdout)
    if p.returncode != 0 or parsed is None or parsed[3] is None:
        return Run(False, FAILED, f"exit status {p.returncode}: {_tail(p.stdout + p.stderr)}")
    _, iters, checksum, ns, tsc = parsed
    return Run(True, OK, "", ns / 1e9, checksum, tsc, iters)


def _bt_env() -> dict[str, str]:
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    return env


def _bt_worker_run(elf: Path, append: str, timeout: float) -> dict[str, Any] | Run:
    """Run the guest under bt in a worker process (Machine in-process there):
    the worker's result (serial output, stop reason, counters), or a failed Run."""
    cmd = [sys.executable, "-m", "bt.bench", "--worker", str(elf), append]
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=timeout, env=_bt_env())
    except subprocess.TimeoutExpired:
        return Run(False, TIMEOUT, f"no result within {timeout:.0f} s")
    lines = p.stdout.strip().splitlines()
    try:
        res = json.loads(lines[-1]) if lines else None
    except ValueError:
        res = None
    if not isinstance(res, dict):
        return Run(False, FAILED, f"bt worker exit status {p.returncode}: "
                   f"{_tail(p.stderr or p.stdout)}")
    if "error" in res:
        return Run(False, FAILED, res["error"])
    return res


def run_bt(elf: Path, iterations: int, timeout: float) -> Run:
    """Run the guest under bt in a worker process (Machine in-process there)."""
    res = _bt_worker_run(elf, f"iters={iterations}", timeout)
    if isinstance(res, Run):
        return res
    serial = res["serial"].encode("latin-1")
    parsed = _parse_bench_line(serial)
    run = Run(True, OK, res.get("message", ""), res["wall_seconds"],
              instructions=res["instructions"], stats=res["stats"])
    if res["reason"] != "poweroff" or parsed is None:
        run.ok, run.status = False, FAILED
        run.message = f"{res['reason']}: {res['message']}"
        if parsed is None:
            run.message += f" (guest output: {_tail(serial) or 'none'})"
        return run
    _, run.iterations, run.checksum, _, run.tsc = parsed
    return run


def qemu_command(elf: Path, iterations: int, kvm_cpu: str | None = None,
                 append: str | None = None) -> list[str]:
    """The QEMU command line: TCG, or KVM with CPU model `kvm_cpu`. The kernel
    command line is `append`, by default iters=ITERATIONS."""
    accel = ["-enable-kvm", "-cpu", kvm_cpu] if kvm_cpu else []
    if append is None:
        append = f"iters={iterations}"
    return [QEMU, "-kernel", str(elf), *QEMU_ARGS, *accel, "-append", append]


def _qemu_process(cmd: list[str], timeout: float
                  ) -> tuple[subprocess.CompletedProcess[bytes], float] | Run:
    """Run QEMU: (the finished process, its wall seconds), or a failed Run
    when it timed out or could not start."""
    start = time.perf_counter()
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return Run(False, TIMEOUT, f"no result within {timeout:.0f} s")
    except OSError as e:
        return Run(False, FAILED, f"cannot run {QEMU}: {e}")
    return p, time.perf_counter() - start


def run_qemu(elf: Path, iterations: int, timeout: float, kvm_cpu: str | None = None) -> Run:
    done = _qemu_process(qemu_command(elf, iterations, kvm_cpu), timeout)
    if isinstance(done, Run):
        return done
    p, wall = done
    parsed = _parse_bench_line(p.stdout)
    if p.returncode != 0 or parsed is None:
        what = f"exit status {p.returncode}"
        detail = _tail(p.stderr) or _tail(p.stdout) or "no output"
        return Run(False, FAILED, f"{what}: {detail}", wall)
    _, iters, checksum, _, tsc = parsed
    return Run(True, OK, "", wall, checksum, tsc, iters)


# ------------------------------------------------------------ the bt worker

def _worker(argv: Sequence[str]) -> int:
    """`python -m bt.bench --worker ELF APPEND`: run one guest under bt in this
    process and print one JSON line (serial output, stop reason, counters)."""
    elf, append = argv[0], argv[1] if len(argv) > 1 else ""
    try:
        from .machine import Machine
        out = io.BytesIO()
        with Machine(append=append, serial_out=out) as m:
            m.load_multiboot(elf)
            r = m.run()
        res = {"serial": out.getvalue().decode("latin-1"), "reason": str(r.reason),
               "message": r.message, "exit_status": r.exit_status,
               "instructions": r.instructions, "wall_seconds": r.wall_seconds,
               "stats": _jsonable(r.stats.as_dict())}
    except Exception as exc:                # noqa: BLE001 - reported to the parent
        res = {"error": f"{type(exc).__name__}: {exc}"}
    sys.stdout.write(json.dumps(res) + "\n")
    sys.stdout.flush()
    return 0


def _jsonable(v: Any) -> Any:
    if callable(getattr(v, "as_dict", None)):        # bt.RunStats
        v = v.as_dict()
    elif dataclasses.is_dataclass(v) and not isinstance(v, type):
        v = dataclasses.asdict(v)
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, (int, float, str, bool)) or v is None:
        return v
    return str(v)


# --------------------------------------------------------- engine results

@dataclasses.dataclass
class EngineResult:
    """One engine on one workload: the summary the table shows, and every run."""

    engine: str
    status: str = OK
    message: str = ""
    checksum: str | None = None
    seconds: float | None = None          # the workload's time (median; see `method`)
    method: str = "native"                # guests: "wall" (wall_seconds) or "tsc" (tsc_seconds)
    boot_seconds: float | None = None     # guests: median wall time of a run with iters=0
    wall_seconds: float | None = None     # guests: median wall time of a run minus boot_seconds
    tsc_seconds: float | None = None      # guests: median in-guest RDTSC delta, in seconds
    instructions: int | None = None       # bt: guest instructions of the workload alone
    mips: float | None = None             # bt: instructions / seconds / 1e6
    runs: list[Run] = dataclasses.field(default_factory=list)
    boot_runs: list[Run] = dataclasses.field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == OK

    def to_json(self) -> dict[str, Any]:
        d = {k: v for k, v in dataclasses.asdict(self).items() if k not in ("runs", "boot_runs")}
        d["runs"] = [r.to_json() for r in self.runs]
        d["boot_runs"] = [r.to_json() for r in self.boot_runs]
        if self.engine == "bt" and self.runs and self.runs[-1].stats is not None:
            d["stats"] = self.runs[-1].stats
        return d


@dataclasses.dataclass
class WorkloadResult:
    workload: str
    iterations: int
    reference_checksum: str | None = None
    host_tsc_hz: float | None = None
    engines: dict[str, EngineResult] = dataclasses.field(default_factory=dict)

    def seconds(self, engine: str) -> float | None:
        r = self.engines.get(engine)
        return r.seconds if r is not None and r.ok else None

    def ratio(self, a: str, b: str) -> float | None:
        x, y = self.seconds(a), self.seconds(b)
        return x / y if x is not None and y else None

    def to_json(self) -> dict[str, Any]:
        ratios = {}
        for a, b in (("bt", "native"), ("qemu", "native"), ("kvm", "native"), ("bt", "qemu"),
                     ("bt", "kvm")):
            r = self.ratio(a, b)
            if r is not None:
                ratios[f"{a}/{b}"] = r
        return {"workload": self.workload, "iterations": self.iterations,
                "reference_checksum": self.reference_checksum,
                "host_tsc_hz": self.host_tsc_hz, "ratios": ratios,
                "engines": {k: v.to_json() for k, v in self.engines.items()}}


def _median(xs: list[float]) -> float:
    return statistics.median(xs)


def _guest_engine(engine: str, runner, elf: Path, iterations: int, reference: str | None,
                  repeat: int, timeout: float, progress: _Progress, wname: str,
                  tsc_hz: float | None) -> EngineResult:
    """Boot runs (iters=0), then `repeat` timed runs; stop at the first bad run."""
    res = EngineResult(engine)
    label = LABELS[engine]
    n_boot = min(repeat, 3)
    for i in range(n_boot):
        progress.show(f"{wname}: {label} boot run {i + 1}/{n_boot}")
        r = runner(elf, 0, min(timeout, 120.0))
        res.boot_runs.append(r)
        if not r.ok:
            res.status, res.message = r.status, f"boot run: {r.message}"
            return res
    for i in range(repeat):
        progress.show(f"{wname}: {label} run {i + 1}/{repeat} ({iterations} iterations)")
        r = runner(elf, iterations, timeout)
        res.runs.append(r)
        if not r.ok:
            res.status, res.message = r.status, r.message
            return res
        res.checksum = r.checksum
        if r.iterations != iterations:
            res.status = FAILED
            res.message = f"the guest ran {r.iterations} iterations, not {iterations}"
            return res
        if reference is not None and r.checksum != reference:
            res.status = MISMATCH
            res.message = f"checksum {r.checksum}, native gives {reference}"
            return res
    boot = _median([r.wall for r in res.boot_runs])
    full = _median([r.wall for r in res.runs])
    res.boot_seconds = boot
    res.wall_seconds = full - boot
    rate = BT_TSC_HZ if engine == "bt" else tsc_hz
    tscs = [r.tsc for r in res.runs if r.tsc is not None]
    if rate and tscs:
        res.tsc_seconds = _median(tscs) / rate
    # bt: the wall time of Machine.run() is taken in-process, so boot-corrected
    # wall time is exact (and bt's TSC may one day be a virtual clock).
    # QEMU/KVM: the process's wall time carries its start-up jitter (tens of
    # ms), so the in-guest RDTSC delta at the host TSC rate is the better
    # measure, as long as it is plausible (no longer than the whole run).
    if engine != "bt" and res.tsc_seconds and 0 < res.tsc_seconds <= full * 1.05:
        res.seconds, res.method = res.tsc_seconds, "tsc"
    elif full - boot > 0:
        res.seconds, res.method = full - boot, "wall"
    else:
        res.status = TOO_SHORT
        res.message = (f"the workload took no measurable time next to the boot "
                       f"({full:.3f} s vs {boot:.3f} s): raise --scale")
        return res
    if engine == "bt":
        instr = _median([r.instructions or 0 for r in res.runs])
        boot_instr = _median([r.instructions or 0 for r in res.boot_runs])
        res.instructions = int(instr - boot_instr)
        res.mips = res.instructions / res.seconds / 1e6
    return res


def _native_engine(exe: Path, iterations: int, repeat: int, timeout: float,
                   progress: _Progress, wname: str) -> EngineResult:
    res = EngineResult("native")
    for i in range(repeat):
        progress.show(f"{wname}: native run {i + 1}/{repeat} ({iterations} iterations)")
        r = run_native(exe, iterations, timeout)
        res.runs.append(r)
        if not r.ok:
            res.status, res.message = r.status, r.message
            return res
        if res.checksum is not None and r.checksum != res.checksum:
            res.status = MISMATCH
            res.message = f"native runs disagree: {res.checksum} then {r.checksum}"
            return res
        res.checksum = r.checksum
    res.seconds = _median([r.wall for r in res.runs])
    return res


# ---------------------------------------------------------- nanobenchmarks

_NANO_RESULT = re.compile(r"^NANO name=(\S+) cycles_per_op=(-?[0-9.]+) iterations=(\d+) "
                          r"ops=(\d+) op_tsc=(\d+) base_tsc=(\d+) unit=(\S+)", re.MULTILINE)
_NANO_PENDING = re.compile(r'^NANO name=(\S+) pending="([^"]*)" needs="([^"]*)"', re.MULTILINE)
_NANO_HOST = re.compile(r"^NANO host ns=(\d+) tsc=(\d+)", re.MULTILINE)
_NANO_DONE = re.compile(r"^NANO done\s*$", re.MULTILINE)
_NANO_ERROR = re.compile(r"^NANO error (.*)$", re.MULTILINE)


@dataclasses.dataclass(frozen=True)
class NanoOp:
    """One nanobenchmark operation, as the native program's --list gives it."""

    name: str
    ring0: bool          # needs CPL 0: the native program cannot run it
    unit: str            # one op: "insn", "pair/2", "reload", "call+ret"
    about: str


@dataclasses.dataclass(frozen=True)
class NanoPending:
    """An operation listed but not timed: bt lacks what it needs."""

    name: str
    about: str
    needs: str = ""


@dataclasses.dataclass
class NanoRun:
    """One run of the nano guest (or native program): ticks per op of each op."""

    ok: bool
    status: str = OK
    message: str = ""
    wall: float = 0.0
    # name -> {"ticks_per_op", "iterations", "ops", "op_tsc", "base_tsc", "unit"}
    results: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    pending: list[str] = dataclasses.field(default_factory=list)
    host_tsc_hz: float | None = None     # native program only
    stats: dict[str, Any] | None = None  # bt only

    def to_json(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        for k in ("stats", "host_tsc_hz"):
            if d[k] is None:
                del d[k]
        return d


def parse_nano_output(text: str) -> tuple[dict[str, dict[str, Any]], list[NanoPending],
                                          bool, float | None]:
    """The NANO lines of a guest's (or the native program's) output:
    (results by name, pending operations, whether "NANO done" was seen,
    the host TSC rate in Hz when the native program printed it)."""
    results: dict[str, dict[str, Any]] = {}
    for m in _NANO_RESULT.finditer(text):
        ops, op_tsc, base_tsc = int(m.group(4)), int(m.group(5)), int(m.group(6))
        results[m.group(1)] = {
            "ticks_per_op": (op_tsc - base_tsc) / ops if ops else float(m.group(2)),
            "iterations": int(m.group(3)), "ops": ops, "op_tsc": op_tsc,
            "base_tsc": base_tsc, "unit": m.group(7)}
    pending = [NanoPending(m.group(1), m.group(2), m.group(3))
               for m in _NANO_PENDING.finditer(text)]
    host = None
    hm = _NANO_HOST.search(text)
    if hm and int(hm.group(1)) > 0:
        host = int(hm.group(2)) / (int(hm.group(1)) / 1e9)
    return results, pending, _NANO_DONE.search(text) is not None, host


def _nano_run_from_output(text: str, wall: float, wanted: Sequence[str]) -> NanoRun:
    results, pending, done, host = parse_nano_output(text)
    run = NanoRun(True, OK, "", wall, results, [p.name for p in pending], host)
    err = _NANO_ERROR.search(text)
    missing = [n for n in wanted if n not in results]
    if err or not done or missing:
        run.ok, run.status = False, FAILED
        if err:
            run.message = err.group(1)
        elif not done:
            run.message = f"the guest stopped early (output: {_tail(text) or 'none'})"
        else:
            run.message = f"no result for {', '.join(missing)}"
    return run


def run_nano_native(exe: Path, options: Sequence[str], wanted: Sequence[str],
                    timeout: float) -> NanoRun:
    """The native nano program (the Ring 3 operations, and the host TSC rate)."""
    try:
        p = subprocess.run([str(exe), *options], stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return NanoRun(False, TIMEOUT, f"no result within {timeout:.0f} s")
    except OSError as e:
        return NanoRun(False, FAILED, f"cannot run {exe}: {e}")
    text = p.stdout.decode(errors="replace")
    results, _, _, host = parse_nano_output(text)
    missing = [n for n in wanted if n not in results]
    if p.returncode != 0 or host is None or missing:
        return NanoRun(False, FAILED, f"exit status {p.returncode}: "
                       f"{_tail(p.stdout + p.stderr) or 'no output'}")
    return NanoRun(True, OK, "", 0.0, results, [], host)


def run_nano_bt(elf: Path, append: str, wanted: Sequence[str], timeout: float) -> NanoRun:
    """The nano guest under bt (a worker process, as for the workloads)."""
    res = _bt_worker_run(elf, append, timeout)
    if isinstance(res, Run):
        return NanoRun(False, res.status, res.message)
    run = _nano_run_from_output(res["serial"], res["wall_seconds"], wanted)
    run.stats = res["stats"]
    if run.ok and res["reason"] != "poweroff":
        run.ok, run.status = False, FAILED
    if not run.ok and res["reason"] != "poweroff":
        run.message = f"{res['reason']}: {res['message']}; {run.message}".rstrip("; ")
    return run


def run_nano_qemu(elf: Path, append: str, wanted: Sequence[str], timeout: float,
                  kvm_cpu: str | None = None) -> NanoRun:
    """The nano guest under QEMU: TCG, or KVM with CPU model `kvm_cpu`."""
    done = _qemu_process(qemu_command(elf, 0, kvm_cpu, append), timeout)
    if isinstance(done, Run):
        return NanoRun(False, done.status, done.message)
    p, wall = done
    run = _nano_run_from_output(p.stdout.decode("latin-1"), wall, wanted)
    if p.returncode != 0:
        run.ok, run.status = False, FAILED
        run.message = (f"exit status {p.returncode}: "
                       f"{_tail(p.stderr) or _tail(p.stdout) or 'no output'}")
    return run


@dataclasses.dataclass
class NanoEngineResult:
    """One engine on the nanobenchmarks: median ticks and ns per op, every run."""

    engine: str
    status: str = OK
    message: str = ""
    tsc_hz: float | None = None           # ticks per second of this engine's TSC
    ticks_per_op: dict[str, float] = dataclasses.field(default_factory=dict)
    ns_per_op: dict[str, float] = dataclasses.field(default_factory=dict)
    runs: list[NanoRun] = dataclasses.field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == OK

    def to_json(self) -> dict[str, Any]:
        d = {k: v for k, v in dataclasses.asdict(self).items() if k != "runs"}
        d["runs"] = [r.to_json() for r in self.runs]
        return d


@dataclasses.dataclass
class NanoResult:
    """The nano suite: the operations, the pending ones, every engine."""

    ops: list[NanoOp]
    pending: list[NanoPending]
    iterations: int | None                 # None: calibrated to target_ticks
    target_ticks: int
    host_tsc_hz: float | None = None
    engines: dict[str, NanoEngineResult] = dataclasses.field(default_factory=dict)

    def ns(self, engine: str, op: str) -> float | None:
        er = self.engines.get(engine)
        return er.ns_per_op.get(op) if er is not None and er.ok else None

    def to_json(self) -> dict[str, Any]:
        ops = {}
        for op in self.ops:
            ops[op.name] = {"ring0": op.ring0, "unit": op.unit, "about": op.about}
            for eng, er in self.engines.items():
                if er.ok and op.name in er.ticks_per_op:
                    ops[op.name][eng] = {"ticks_per_op": er.ticks_per_op[op.name],
                                         "ns_per_op": er.ns_per_op.get(op.name)}
        return {"iterations": self.iterations, "target_ticks": self.target_ticks,
                "host_tsc_hz": self.host_tsc_hz, "ops": ops,
                "pending": [dataclasses.asdict(p) for p in self.pending],
                "engines": {k: v.to_json() for k, v in self.engines.items()}}


def nano_list(exe: Path) -> tuple[list[NanoOp], list[NanoPending]]:
    """The operations and the pending ones, from `nano --list`."""
    try:
        p = subprocess.run([str(exe), "--list"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise BenchError(f"cannot list the nanobenchmarks ({exe}): {e}") from None
    ops, pending = [], []
    for line in p.stdout.splitlines():
        parts = line.split("\t")
        if len(parts) < 4:
            continue
        if parts[1] == "pending":
            pending.append(NanoPending(parts[0], parts[3], parts[4] if len(parts) > 4 else ""))
        else:
            ops.append(NanoOp(parts[0], parts[1] == "ring0", parts[2], parts[3]))
    if p.returncode != 0 or not ops:
        raise BenchError(f"cannot list the nanobenchmarks: {exe} --list: exit status "
                         f"{p.returncode}: {_tail(p.stderr) or 'no output'}")
    return ops, pending


def _nano_engine(engine: str, runner, wanted: Sequence[str], repeat: int,
                 progress: _Progress, tsc_hz: float | None) -> NanoEngineResult:
    """`repeat` runs of `runner()` (a NanoRun); the median ticks per op of each op."""
    res = NanoEngineResult(engine, tsc_hz=BT_TSC_HZ if engine == "bt" else tsc_hz)
    for i in range(repeat):
        progress.show(f"nano: {LABELS[engine]} run {i + 1}/{repeat}")
        r = runner()
        res.runs.append(r)
        if not r.ok:
            res.status, res.message = r.status, r.message
            return res
    for name in wanted:
        ticks = _median([r.results[name]["ticks_per_op"] for r in res.runs])
        res.ticks_per_op[name] = ticks
        if res.tsc_hz:
            res.ns_per_op[name] = ticks / res.tsc_hz * 1e9
    return res


def _run_nano(args: argparse.Namespace, art: Any, engines: Sequence[str],
              unavailable: dict[str, str], kvm_cpu: str | None,
              progress: _Progress) -> NanoResult:
    """Run the nano suite under every engine of `engines`."""
    ops, pending = nano_list(art.native)
    names = _split(args.ops, [o.name for o in ops], "ops")
    by_name = {o.name: o for o in ops}
    target = max(1000, round(NANO_TARGET_TICKS * args.scale))
    iters = args.nano_iters
    guest_opts = [f"iters={iters}" if iters else f"target={target}"]
    native_opts = ["--iters", str(iters)] if iters else ["--target", str(target)]
    if args.ops is not None:
        guest_opts.append("ops=" + ",".join(names))
        native_opts += ["--ops", ",".join(names)]
    append = " ".join(guest_opts)
    result = NanoResult([by_name[n] for n in names], pending, iters, target)
    timeout = args.timeout or NANO_TIMEOUT

    # The native program: the Ring 3 operations, and the host's TSC rate
    # (QEMU's and KVM's guest TSC runs at that rate). It runs when asked
    # for, or when a QEMU or KVM column needs the rate.
    ring3 = [n for n in names if not by_name[n].ring0]
    need_rate = any(e in engines and e not in unavailable for e in ("qemu", "kvm"))
    if "native" in engines or need_rate:
        native = _nano_engine("native", lambda: run_nano_native(
            art.native, native_opts, ring3, timeout), ring3,
            args.repeat if "native" in engines else 1, progress, None)
        if native.ok:
            rates = [r.host_tsc_hz for r in native.runs if r.host_tsc_hz is not None]
            result.host_tsc_hz = _median(rates) if rates else None
            native.tsc_hz = result.host_tsc_hz
            for n, t in native.ticks_per_op.items():
                if native.tsc_hz:
                    native.ns_per_op[n] = t / native.tsc_hz * 1e9
        result.engines["native"] = native

    for eng in engines:
        if eng == "native":
            continue
        if eng in unavailable:
            result.engines[eng] = NanoEngineResult(eng, UNAVAILABLE, unavailable[eng])
            continue
        cpu = kvm_cpu if eng == "kvm" else None

        def runner(_eng: str = eng, _cpu: str | None = cpu) -> NanoRun:
            if _eng == "bt":
                return run_nano_bt(art.guest, append, names, timeout)
            return run_nano_qemu(art.guest, append, names, timeout, _cpu)
        er = _nano_engine(eng, runner, names, args.repeat, progress, result.host_tsc_hz)
        if er.ok and er.tsc_hz is None:
            er.message = "no host TSC rate (the native program failed): ticks only"
        result.engines[eng] = er
    return result


# ------------------------------------------------------------- environment

def kvm_usable() -> tuple[bool, str]:
    """Whether /dev/kvm can be opened (a run may still fail: nested KVM)."""
    if not os.path.exists("/dev/kvm"):
        return False, "not available: /dev/kvm does not exist"
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return False, "not available: /dev/kvm is not readable and writable by this user"
    return True, ""


def _qemu_version() -> str | None:
    if shutil.which(QEMU) is None:
        return None
    try:
        out = subprocess.run([QEMU, "--version"], capture_output=True, text=True,
                             timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.splitlines()[0].strip() if out else None


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _git_commit() -> str | None:
    try:
        p = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                           capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return p.stdout.strip() or None


def _load_build() -> dict[str, Any]:
    if not BUILD_SCRIPT.is_file():
        raise BenchError(f"{BUILD_SCRIPT} not found: 'bt bench' runs from bt's source tree "
                         "(the benchmark workloads are not installed with the package)")
    return runpy.run_path(str(BUILD_SCRIPT), run_name="bt_bench_build")


# ------------------------------------------------------------------ running

# Default timeout of one guest run: slack + factor * native seconds. bt may be
# a hundred times slower than native on memory-heavy code; TCG some tens of
# times; KVM should be near native, so a KVM far slower than that is broken
# (or emulated) and not worth waiting for.
TIMEOUT_RULE = {"bt": (60.0, 1000.0), "qemu": (60.0, 200.0), "kvm": (30.0, 50.0)}


def _probe_kvm(elf: Path, timeout: float | None, progress: _Progress, boot=None
               ) -> tuple[str | None, str]:
    """Boot `elf` (iters=0) under KVM with each CPU model of KVM_CPUS; return
    (the first model that works, "") or (None, why none did). `boot(cpu,
    timeout)` replaces that boot (it returns an object with ok, status and
    message)."""
    errors = []
    for cpu in KVM_CPUS:
        progress.show(f"probing KVM (-cpu {cpu})")
        tmo = min(timeout or 60.0, 60.0)
        r = boot(cpu, tmo) if boot is not None else run_qemu(elf, 0, tmo, cpu)
        if r.ok:
            return cpu, ""
        errors.append(f"-cpu {cpu}: {r.status}: {r.message}")
        if r.status == TIMEOUT:
            break
    return None, "not available: cannot boot a guest: " + "; ".join(errors)


def _split(text: str | None, known: Sequence[str], what: str) -> list[str]:
    if text is None:
        return list(known)
    names = [t.strip() for t in text.split(",") if t.strip()]
    if not names:
        raise BenchError(f"--{what} is empty")
    for n in names:
        if n not in known:
            raise BenchError(f"unknown {what[:-1]} '{n}' (choose from {', '.join(known)})")
    return list(dict.fromkeys(names))


def _suites(args: argparse.Namespace) -> list[str]:
    """The suites to run: --suite, else the one that --workloads or --ops
    names, else both."""
    suite = getattr(args, "suite", None)
    if suite is None:
        named = [name for name, opt in (("workloads", getattr(args, "workloads", None)),
                                        ("nano", getattr(args, "ops", None)))
                 if opt is not None]
        suite = named[0] if len(named) == 1 else "all"
    return ["workloads", "nano"] if suite == "all" else [suite]


def run_bench(args: argparse.Namespace) -> int:
    """`bt bench`: build, run, print the tables. Returns 0 when every engine that
    ran agreed with native; 1 when a checksum differed, or bt (or the native
    program) failed, timed out or is unavailable. QEMU or KVM failing is
    reported but does not count: they are the environment, not bt. Raises
    BenchError (a BtError: one line, status 2) for bad options or a missing
    toolchain."""
    build = _load_build()
    suites = _suites(args)
    try:
        table = build["workloads"]()
    except build["BuildError"] as e:
        raise BenchError(str(e)) from None
    if args.list:
        for w in table.values():
            print(f"{w.name:10s} {w.default_iterations:8d} iterations  {w.about}")
        try:
            ops, pending = nano_list(build["build_nano"]().native)
        except (build["BuildError"], BenchError) as e:
            print(f"(nanobenchmarks: cannot list them: {e})")
            return 0
        for op in ops:
            print(f"nano {op.name:10s} {'Ring 0' if op.ring0 else 'any ring':8s}  {op.about}")
        for pend in pending:
            print(f"nano {pend.name:10s} {'pending':8s}  {pend.about}")
        return 0
    engines = _split(args.engines, ENGINES, "engines")
    names = _split(args.workloads, list(table), "workloads") if "workloads" in suites else []
    try:
        arts = build["build"](names) if names else {}
    except build["BuildError"] as e:
        raise BenchError(f"building the workloads failed: {e}") from None
    try:
        nano_art = build["build_nano"]() if "nano" in suites else None
    except build["BuildError"] as e:
        raise BenchError(f"building the nanobenchmarks failed: {e}") from None

    unavailable: dict[str, str] = {}
    if "bt" in engines:
        import bt
        try:
            bt.load_engine()
        except BtError as e:
            unavailable["bt"] = f"not available: {e}"
    qemu_version = _qemu_version()
    for eng in ("qemu", "kvm"):
        if eng in engines and qemu_version is None:
            unavailable[eng] = f"not available: {QEMU} is not installed"
    if "kvm" in engines and "kvm" not in unavailable:
        usable, why = kvm_usable()
        if not usable:
            unavailable["kvm"] = why

    progress = _Progress()
    results: list[WorkloadResult] = []
    nano: NanoResult | None = None
    started = time.perf_counter()
    kvm_cpu: str | None = None
    try:
        if "kvm" in engines and "kvm" not in unavailable:
            if names:
                kvm_cpu, why = _probe_kvm(arts[names[0]].guest, args.timeout, progress)
            else:                       # only the nano suite runs
                assert nano_art is not None
                nano_elf = nano_art.guest

                def boot(cpu: str, tmo: float) -> NanoRun:
                    return run_nano_qemu(nano_elf, "iters=1 rounds=1 ops=add", ["add"],
                                         tmo, cpu)
                kvm_cpu, why = _probe_kvm(nano_elf, args.timeout, progress, boot)
            if kvm_cpu is None:
                unavailable["kvm"] = why
        for name in names:
            art = arts[name]
            iterations = max(1, round(table[name].default_iterations * args.scale))
            wr = WorkloadResult(name, iterations)
            results.append(wr)
            native = _native_engine(art.native, iterations,
                                    args.repeat if "native" in engines else 1,
                                    args.timeout or 600.0, progress, name)
            if native.ok:
                wr.reference_checksum = native.checksum
                hz = [r.tsc / r.wall for r in native.runs if r.tsc and r.wall > 0]
                wr.host_tsc_hz = _median(hz) if hz else None
            # Shown even when not asked for: it ran (once) for the checksum anyway,
            # and the ratios need it.
            wr.engines["native"] = native
            native_s = native.seconds if native.ok and native.seconds else 1.0
            for eng in engines:
                if eng == "native":
                    continue
                if eng in unavailable:
                    wr.engines[eng] = EngineResult(eng, UNAVAILABLE, unavailable[eng])
                    continue
                if eng == "bt":
                    runner = run_bt
                elif eng == "qemu":
                    runner = run_qemu
                else:
                    def runner(elf, iters, tmo, _cpu=kvm_cpu):
                        return run_qemu(elf, iters, tmo, _cpu)
                slack, factor = TIMEOUT_RULE[eng]
                timeout = args.timeout or (slack + factor * native_s)
                er = _guest_engine(eng, runner, art.guest, iterations, wr.reference_checksum,
                                   args.repeat, timeout, progress, name, wr.host_tsc_hz)
                wr.engines[eng] = er
                if eng == "kvm" and er.status in (FAILED, TIMEOUT):
                    # A KVM that fails or crawls here (nested without hardware
                    # support) will not do better on the next workload.
                    unavailable["kvm"] = (f"skipped after "
                                          f"{'timing out' if er.status == TIMEOUT else 'failing'}"
                                          f" on workload {name}")
        if nano_art is not None:
            nano = _run_nano(args, nano_art, engines, unavailable, kvm_cpu, progress)
    finally:
        progress.clear()
    elapsed = time.perf_counter() - started

    if results:
        print(format_table(results, engines, args))
        notes = format_notes(results, _kvm_remarks(results, kvm_cpu))
        if notes:
            print(notes)
    if nano is not None:
        if results:
            print()
        print(format_nano_table(nano, engines))
        notes = format_nano_notes(nano, kvm_cpu if not results else None)
        if notes:
            print(notes)
    if args.json:
        doc = to_json(results, engines, args, elapsed, qemu_version, kvm_cpu, nano)
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")
    if args.plot:
        if results:
            plot(results, engines, args.plot)
        else:
            print("bt bench: --plot draws the workloads' slowdowns, and no workload ran; "
                  "no plot written", file=sys.stderr)

    bad = any(er.status == MISMATCH for wr in results for er in wr.engines.values())
    bad |= any(wr.engines[e].status in (FAILED, TIMEOUT, UNAVAILABLE) for wr in results
               for e in ("native", "bt") if e in wr.engines)
    if nano is not None:
        bad |= any(nano.engines[e].status in (FAILED, TIMEOUT, UNAVAILABLE)
                   for e in ("native", "bt") if e in nano.engines)
    return 1 if bad else 0


# ------------------------------------------------------------------ reports

def _fmt_time(s: float | None) -> str:
    if s is None:
        return "-"
    if s >= 100:
        return f"{s:.0f} s"
    if s >= 1:
        return f"{s:.2f} s"
    return f"{s * 1000:.1f} ms"


def _fmt_ratio(r: float | None) -> str:
    if r is None:
        return "-"
    return f"{r:.1f}x" if r < 100 else f"{r:.0f}x"


def _cell(wr: WorkloadResult, engine: str) -> str:
    er = wr.engines.get(engine)
    if er is None:
        return "-"
    if er.status == OK:
        return _fmt_time(er.seconds)
    return {MISMATCH: "FAILED (checksum)", FAILED: "FAILED", TIMEOUT: "TIMEOUT",
            UNAVAILABLE: "n/a", TOO_SHORT: "too short"}.get(er.status, er.status.upper())


def format_table(results: list[WorkloadResult], engines: Sequence[str],
                 args: argparse.Namespace) -> str:
    """The results table: workload | iters | native | bt | bt/native | bt MIPS |
    qemu-tcg | tcg/native | bt/tcg | kvm | kvm/native (columns of engines not run left out)."""
    cols: list[tuple[str, Any]] = [("workload", lambda w: w.workload),
                                   ("iters", lambda w: str(w.iterations))]
    show_native = any("native" in w.engines for w in results)
    if show_native:
        cols.append(("native", lambda w: _cell(w, "native")))
    if "bt" in engines:
        cols += [("bt", lambda w: _cell(w, "bt")),
                 ("bt/native", lambda w: _fmt_ratio(w.ratio("bt", "native"))),
                 ("bt MIPS", lambda w: (f"{w.engines['bt'].mips:,.0f}"
                                        if w.engines.get("bt") and w.engines["bt"].mips
                                        else "-"))]
    if "qemu" in engines:
        cols += [("qemu-tcg", lambda w: _cell(w, "qemu")),
                 ("tcg/native", lambda w: _fmt_ratio(w.ratio("qemu", "native")))]
        if "bt" in engines:
            cols.append(("bt/tcg", lambda w: _fmt_ratio(w.ratio("bt", "qemu"))))
    if "kvm" in engines:
        cols += [("kvm", lambda w: _cell(w, "kvm")),
                 ("kvm/native", lambda w: _fmt_ratio(w.ratio("kvm", "native")))]
    rows = [[h for h, _ in cols]] + [[f(w) for _, f in cols] for w in results]
    widths = [max(len(r[i]) for r in rows) for i in range(len(cols))]

    def line(r: list[str]) -> str:
        return "  ".join(c.ljust(widths[i]) if i == 0 else c.rjust(widths[i])
                         for i, c in enumerate(r)).rstrip()
    out = [line(rows[0]), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in rows[1:]]
    out.append(f"Median of {args.repeat} run{'s' if args.repeat != 1 else ''} at scale "
               f"{args.scale:g}. Guest times leave out the boot: bt's is the wall time "
               "of the run minus\nthat of an iters=0 run; QEMU's and KVM's the in-guest "
               "RDTSC delta at the host TSC rate. MIPS: guest instructions per second.")
    return "\n".join(out)


def _kvm_remarks(results: list[WorkloadResult], kvm_cpu: str | None) -> list[str]:
    out = []
    if kvm_cpu and kvm_cpu != KVM_CPUS[0]:
        out.append(f"  kvm: ran with -cpu {kvm_cpu} (QEMU fails with -cpu {KVM_CPUS[0]} here)")
    boots = {e: [wr.engines[e].boot_seconds for wr in results
                 if e in wr.engines and wr.engines[e].boot_seconds]
             for e in ("qemu", "kvm")}
    if boots["kvm"] and boots["qemu"]:
        kvm_boot, tcg_boot = _median(boots["kvm"]), _median(boots["qemu"])
        if kvm_boot > 5 * tcg_boot:
            out.append(f"  kvm: a guest boots in {kvm_boot:.2f} s under KVM but "
                       f"{tcg_boot:.2f} s under TCG: /dev/kvm looks nested without "
                       "hardware support here, so its numbers say little")
    return out


def format_notes(results: list[WorkloadResult], extra: Sequence[str] = ()) -> str:
    """One line per engine that did not produce a number, saying why."""
    lines = list(extra)
    seen_unavailable: set[str] = set()
    for wr in results:
        for eng, er in wr.engines.items():
            if er.ok:
                continue
            if er.status == UNAVAILABLE:
                if eng in seen_unavailable:
                    continue
                seen_unavailable.add(eng)
                lines.append(f"  {LABELS[eng]}: {er.message}")
            else:
                lines.append(f"  {wr.workload} under {LABELS[eng]}: {er.status.upper()}: "
                             f"{er.message}")
    return "\n".join(lines)


def _fmt_num(x: float | None) -> str:
    if x is None:
        return "-"
    a = abs(x)
    if a >= 1000:
        return f"{x:,.0f}"
    if a >= 100:
        return f"{x:.0f}"
    if a >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def _nano_status_cell(er: NanoEngineResult | None) -> str | None:
    """The cell text of an engine that has no numbers (None when it has)."""
    if er is None:
        return "-"
    if er.ok:
        return None
    return {FAILED: "FAILED", TIMEOUT: "TIMEOUT", UNAVAILABLE: "n/a"}.get(
        er.status, er.status.upper())


def format_nano_table(nano: NanoResult, engines: Sequence[str]) -> str:
    """The nanobenchmark table: operation | per | bt ns | bt/add | qemu-tcg ns,
    ticks | kvm ns, ticks | native ns, ticks (engines not run left out), then
    the pending operations."""
    cols: list[tuple[str, Any]] = [("operation", lambda op: op.name),
                                   ("per", lambda op: op.unit)]

    def ns_cell(eng: str):
        def cell(op: NanoOp) -> str:
            er = nano.engines.get(eng)
            bad = _nano_status_cell(er)
            if er is None or bad is not None:
                return bad or "-"
            if eng == "native" and op.ring0:
                return "ring 0"
            v = er.ns_per_op.get(op.name)
            return _fmt_num(v) if v is not None else (
                "?" if op.name in er.ticks_per_op else "-")
        return cell

    def ticks_cell(eng: str):
        def cell(op: NanoOp) -> str:
            er = nano.engines.get(eng)
            if er is None or not er.ok:
                return "-"
            return _fmt_num(er.ticks_per_op.get(op.name))
        return cell

    def bt_over_add(op: NanoOp) -> str:
        x, add = nano.ns("bt", op.name), nano.ns("bt", "add")
        return f"{x / add:.1f}" if x is not None and add and add > 0 else "-"

    short = {"qemu": "tcg", "kvm": "kvm", "native": "native"}
    for eng in ("bt", "qemu", "kvm", "native"):
        if eng not in nano.engines:
            continue
        if eng == "bt":
            cols += [("bt ns", ns_cell("bt")), ("bt/add", bt_over_add)]
        else:
            cols += [(f"{short[eng]} ns", ns_cell(eng)),
                     (f"{short[eng]} ticks", ticks_cell(eng))]
    rows = [[h for h, _ in cols]] + [[f(op) for _, f in cols] for op in nano.ops]
    for pend in nano.pending:
        rows.append([pend.name, "-"] + ["pending"] * (len(cols) - 2))
    widths = [max(len(r[i]) for r in rows) for i in range(len(cols))]

    def line(r: list[str]) -> str:
        return "  ".join(c.ljust(widths[i]) if i < 2 else c.rjust(widths[i])
                         for i, c in enumerate(r)).rstrip()
    out = [line(rows[0]), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in rows[1:]]
    rate = (f"{nano.host_tsc_hz / 1e9:.3f} GHz, measured by the native program"
            if nano.host_tsc_hz else "unknown: the native program did not run")
    repeat = max((len(er.runs) for er in nano.engines.values()), default=1)
    loops = (f"{nano.iterations} iterations" if nano.iterations
             else f"about {nano.target_ticks / 1e6:g}M ticks")
    out.append(
        "ns (and TSC ticks) per operation: (loop with it - the same loop without it) / "
        "operations,\n"
        f"each loop the minimum of 5 rounds in the guest (loops of {loops}); median of "
        f"{repeat} run{'s' if repeat != 1 else ''}.\n"
        "bt's TSC is a 1 GHz clock (ticks = ns); QEMU's, KVM's and native's run at the "
        "host's\n"
        f"TSC rate ({rate}). bt/add: cost under bt in plain ALU ops\n"
        "(add reg,reg). per pair/2: one instruction of the pair, on average.")
    return "\n".join(out)


def format_nano_notes(nano: NanoResult, kvm_cpu: str | None = None) -> str:
    """Why an engine has no numbers; what the pending operations need; KVM remarks."""
    lines = []
    if kvm_cpu and kvm_cpu != KVM_CPUS[0]:
        lines.append(f"  kvm: ran with -cpu {kvm_cpu} (QEMU fails with -cpu {KVM_CPUS[0]} here)")
    add_kvm, add_tcg = nano.ns("kvm", "add"), nano.ns("qemu", "add")
    if add_kvm is not None and add_kvm > 20 and (add_tcg is None or add_kvm > 10 * add_tcg):
        lines.append(f"  kvm: a plain ALU op takes {add_kvm:,.0f} ns under KVM: /dev/kvm "
                     "looks nested without hardware support here, so its numbers say little")
    for eng, er in nano.engines.items():
        if er.ok:
            if er.message:
                lines.append(f"  {LABELS[eng]}: {er.message}")
            continue
        what = "" if er.status == UNAVAILABLE else f"{er.status.upper()}: "
        lines.append(f"  nano under {LABELS[eng]}: {what}{er.message}")
    if nano.pending:
        lines.append("  pending (listed, not measured, until bt has what they need):")
        for pend in nano.pending:
            needs = f" - needs {pend.needs}" if pend.needs else ""
            lines.append(f"    {pend.name}: {pend.about}{needs}")
    return "\n".join(lines)


def to_json(results: list[WorkloadResult], engines: Sequence[str], args: argparse.Namespace,
            elapsed: float, qemu_version: str | None, kvm_cpu: str | None = None,
            nano: NanoResult | None = None) -> dict[str, Any]:
    from . import __version__
    kvm_ok, kvm_why = kvm_usable()
    return {
        "format": "bt-bench", "version": JSON_VERSION,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "bt_version": __version__, "git_commit": _git_commit(),
        "host": {"cpu": _cpu_model(), "cpus": os.cpu_count(), "platform": platform.platform(),
                 "python": platform.python_version(), "qemu": qemu_version,
                 "kvm_device": "usable" if kvm_ok else kvm_why, "kvm_cpu": kvm_cpu},
        "options": {"workloads": [w.workload for w in results], "engines": list(engines),
                    "repeat": args.repeat, "scale": args.scale, "timeout": args.timeout,
                    "suites": _suites(args),
                    "nano_ops": [op.name for op in nano.ops] if nano else [],
                    "nano_iters": getattr(args, "nano_iters", None)},
        "method": {"native": "CLOCK_MONOTONIC around workload_run() in the native program",
                   "bt": "wall time of Machine.run() in a worker process minus the median "
                         "of iters=0 runs (method 'wall'); instructions from the engine's "
                         "counter, likewise minus boot",
                   "qemu, kvm": "in-guest RDTSC delta around workload_run() at the host TSC "
                                "rate measured by the native program (method 'tsc'); else "
                                "process wall time minus the median of iters=0 runs ('wall')",
                   "tsc_seconds": "bt's TSC is a 1 GHz clock; QEMU/KVM's runs at the host "
                                  "TSC rate",
                   "nano": "in-guest RDTSC: (minimum over 5 rounds of the loop with the "
                           "operation - the same for the loop without it) / operations, "
                           "in the engine's TSC ticks (ticks_per_op: median over runs); "
                           "ns_per_op converts at 1 GHz for bt and at the host TSC rate "
                           "(host_tsc_hz, measured by the native program) for QEMU, KVM "
                           "and native"},
        "elapsed_seconds": elapsed,
        "results": [wr.to_json() for wr in results],
        "nano": nano.to_json() if nano is not None else None,
    }


def plot(results: list[WorkloadResult], engines: Sequence[str], path: str) -> bool:
    """Bar chart of the slowdown relative to native (log scale). False when
    matplotlib is missing (one line on stderr says so)."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("bt bench: --plot needs matplotlib, which is not installed "
              "(pip install matplotlib); no plot written", file=sys.stderr)
        return False
    colors = {"bt": "#1f77b4", "qemu": "#ff7f0e", "kvm": "#2ca02c"}
    series = [e for e in ("bt", "qemu", "kvm") if e in engines
              and any(wr.ratio(e, "native") is not None for wr in results)]
    missing = [e for e in ("bt", "qemu", "kvm") if e in engines and e not in series]
    names = [wr.workload for wr in results]
    fig, ax = plt.subplots(figsize=(2.2 + 1.6 * len(names), 4.4))
    width = 0.8 / max(1, len(series))
    for i, eng in enumerate(series):
        xs, ys, labels = [], [], []
        for j, wr in enumerate(results):
            x = j + (i - (len(series) - 1) / 2) * width
            r = wr.ratio(eng, "native")
            if r is not None:
                xs.append(x)
                ys.append(r)
                labels.append(_fmt_ratio(r))
            else:                               # say why there is no bar
                ax.annotate(_cell(wr, eng), (x, 1.0), rotation=90, ha="center",
                            va="bottom", fontsize=7, color=colors[eng])
        bars = ax.bar(xs, ys, width, label=LABELS[eng], color=colors[eng])
        ax.bar_label(bars, labels=labels, fontsize=8)
    if missing:
        ax.text(0.99, 0.98, "no numbers: " + ", ".join(LABELS[e] for e in missing),
                transform=ax.transAxes, ha="right", va="top", fontsize=8, color="grey")
    ax.set_xticks(range(len(names)), names)
    ax.set_yscale("log")
    ax.axhline(1.0, color="grey", linewidth=0.8)
    ax.set_ylabel("time relative to native (lower is better)")
    ax.set_title("bt bench: slowdown versus native execution")
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


# --------------------------------------------------------------- entry point

def main(argv: Sequence[str] | None = None) -> int:
    """`python -m bt.bench ...` (the same options as `bt bench`)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--worker"]:
        return _worker(argv[1:])
    parser = argparse.ArgumentParser(prog="bt bench", description=DESCRIPTION)
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run_bench(args)
    except BtError as e:
        print(f"bt bench: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("bt bench: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
