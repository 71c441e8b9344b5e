"""Micro-benchmarks of the bt engine (pytest-benchmark).

Not part of the test run (pyproject.toml: testpaths = ["tests"] and
--benchmark-skip). Run them with

    PYTHONPATH=. pytest benchmarks --benchmark-only
    PYTHONPATH=. pytest benchmarks --benchmark-only --benchmark-columns=median,iqr,rounds

Each benchmark drives bt.engine.Engine directly on hand-assembled guest
code (no toolchain needed) and stores its own throughput figure in the
report's extra_info, from the median round (guest instructions translated per second; nanoseconds
per loop trip for the others); a summary is printed at the end.

  translate       flush the cache, then translate and run once a set of
                  2000 blocks of 16 instructions (32,000 instructions)
  chained_jump    a loop whose back edge is a direct jump: block chaining
  indirect_jump   a loop through `jmp eax`: one jump-cache lookup per trip
  jc_conflict     `jmp eax` to two targets 16 KiB apart, which share a
                  jump-cache slot: one hash-table lookup per trip
  out_fast_port   OUT to a port with a C constant handler (POST port 0x80)
  out_python_port OUT to a port handled by a Python callable
  in_python_port  IN from a port handled by a Python callable
"""
from __future__ import annotations

import struct

import pytest

CODE = 0x100000          # where the guest code goes
STACK = 0x80000
RAM = 16 * 1024 * 1024

# ------------------------------------------------------------ tiny assembler

def imm32(v: int) -> bytes:
    return struct.pack("<I", v & 0xFFFFFFFF)


def rel32(at: int, length: int, target: int) -> bytes:
    """rel32 of a branch at `at` whose encoding is `length` bytes long."""
    return struct.pack("<i", target - (at + length))


def mov_ecx(v: int) -> bytes:
    return b"\xb9" + imm32(v)


def mov_eax(v: int) -> bytes:
    return b"\xb8" + imm32(v)


DEC_ECX = b"\x49"
HLT = b"\xf4"
JMP_EAX = b"\xff\xe0"
OUT_IMM8_AL = b"\xe6"     # + port byte
IN_AL_IMM8 = b"\xe4"      # + port byte

# Innocuous instructions that a block of compiled code is made of: register
# ALU, shifts, LEA, IMUL, MOVZX, and loads/stores with absolute, base and
# base+index*scale addresses (the data lives at 0x200000).
BODY = [
    b"\x01\xd8",                          # add eax, ebx
    b"\x31\xd1",                          # xor ecx, edx
    b"\x8d\x74\x7e\x04",                  # lea esi, [esi+edi*2+4]
    b"\xc1\xe0\x03",                      # shl eax, 3
    b"\x89\xc7",                          # mov edi, eax
    b"\x29\xf5",                          # sub ebp, esi
    b"\x81\xe3\xff\x0f\x00\x00",          # and ebx, 0xfff
    b"\x09\xca",                          # or edx, ecx
    b"\x0f\xaf\xc3",                      # imul eax, ebx
    b"\x0f\xb6\xc8",                      # movzx ecx, al
    b"\xa1" + imm32(0x200000),            # mov eax, [0x200000]
    b"\x89\x0d" + imm32(0x200004),        # mov [0x200004], ecx
    b"\x8b\x94\x9b" + imm32(0x200000),    # mov edx, [ebx+ebx*4+0x200000]
    b"\x01\x04\x9d" + imm32(0x201000),    # add [ebx*4+0x201000], eax
    b"\xc1\xc0\x05",                      # rol eax, 5
    b"\x39\xd8",                          # cmp eax, ebx
]


def block_set(n_blocks: int, body_len: int) -> tuple[bytes, int]:
    """n_blocks blocks of body_len instructions, each ending in a jmp to the
    next; the last one halts. Returns (code, instructions per pass)."""
    code = bytearray()
    for i in range(n_blocks):
        for k in range(body_len - 1):
            code += BODY[(i + k) % len(BODY)]
        at = CODE + len(code)
        if i == n_blocks - 1:
            code += HLT
        else:
            next_block = at + 5        # the next block starts right after this jmp
            code += b"\xe9" + rel32(at, 5, next_block)
    return bytes(code), n_blocks * body_len


def counted_loop(body: bytes, trips: int) -> bytes:
    """mov ecx, trips; L: body; dec ecx; jnz L; hlt"""
    code = bytearray(mov_ecx(trips))
    loop = CODE + len(code)
    code += body + DEC_ECX
    at = CODE + len(code)
    code += b"\x0f\x85" + rel32(at, 6, loop)
    code += HLT
    return bytes(code)


# ------------------------------------------------------------------ fixtures

@pytest.fixture(scope="module")
def engine_mod():
    import bt
    from bt.errors import EngineUnavailable
    try:
        return bt.load_engine()
    except EngineUnavailable as exc:
        pytest.skip(f"engine not available: {exc}")


def make_engine(mod, code: bytes):
    e = mod.Engine(RAM)
    e.write_phys(CODE, code)
    e.set_reg("esp", STACK)
    e.set_reg("eip", CODE)
    return e


def start(e) -> None:
    for r in ("eax", "ebx", "ecx", "edx", "esi", "edi", "ebp"):
        e.set_reg(r, 0)
    e.set_reg("esp", STACK)
    e.set_reg("eip", CODE)


def run_to_halt(mod, e) -> None:
    r = e.run(0)
    if r != mod.EXIT_HALT:
        raise AssertionError(f"engine stopped with {r}: {e.fault_message}")


def median_seconds(benchmark) -> float:
    return benchmark.stats.stats.median


# --------------------------------------------------------------- benchmarks

def test_translate(benchmark, engine_mod, throughput):
    """Translation throughput: flush, then translate (and run once) 32,000 instructions."""
    code, n_insns = block_set(2000, 16)
    e = make_engine(engine_mod, code)

    def setup():
        e.flush_cache()
        start(e)

    def once():
        run_to_halt(engine_mod, e)

    before = e.stats()["instructions_translated"]
    setup()
    once()
    translated = e.stats()["instructions_translated"] - before
    assert translated == n_insns, translated
    benchmark.pedantic(once, setup=setup, rounds=15, iterations=1, warmup_rounds=1)
    throughput("translate", n_insns / median_seconds(benchmark), "guest insns translated/s")
    throughput("translate (per insn)", median_seconds(benchmark) / n_insns * 1e9,
               "ns per guest insn (decode + translate + run once)")


LOOP_TRIPS = 1_000_000


def _loop_bench(benchmark, throughput, mod, e, name: str, unit: str) -> None:
    def setup():
        start(e)

    def once():
        run_to_halt(mod, e)
    setup()
    once()                                  # translate outside the timing
    benchmark.pedantic(once, setup=setup, rounds=9, iterations=1, warmup_rounds=1)
    throughput(name, median_seconds(benchmark) / LOOP_TRIPS * 1e9, unit)


def test_chained_jump(benchmark, engine_mod, throughput):
    """Back edge `jnz` to a block already translated: chaining, no lookup."""
    e = make_engine(engine_mod, counted_loop(b"\x01\xd8", LOOP_TRIPS))   # add eax, ebx
    _loop_bench(benchmark, throughput, engine_mod, e, "chained_jump",
                "ns per trip (add; dec; jnz: chained)")
    assert e.stats()["block_lookups"] < 100


def test_indirect_jump(benchmark, engine_mod, throughput):
    """`mov eax, T; jmp eax` each trip: a jump-cache hit per trip."""
    # mov ecx, N; L: mov eax, T; jmp eax; T: dec ecx; jnz L; hlt
    code = bytearray(mov_ecx(LOOP_TRIPS))
    loop = CODE + len(code)
    target = loop + 5 + 2
    code += mov_eax(target) + JMP_EAX + DEC_ECX
    at = CODE + len(code)
    code += b"\x0f\x85" + rel32(at, 6, loop) + HLT
    e = make_engine(engine_mod, bytes(code))
    _loop_bench(benchmark, throughput, engine_mod, e, "indirect_jump",
                "ns per trip (mov; jmp eax; dec; jnz: 1 jump-cache hit)")
    s = e.stats()
    assert s["jump_cache_hits"] >= LOOP_TRIPS


def test_jc_conflict(benchmark, engine_mod, throughput):
    """Indirect jumps alternating between two blocks that share a jump-cache slot."""
    # mov ecx, N; L: mov eax, A; jmp eax
    # A: mov eax, B; jmp eax          (A and B 16 KiB apart: the jump cache is
    # B: dec ecx; jnz L; hlt           indexed by (phys >> 2) & 4095)
    a = CODE + 0x1000
    b = a + 0x4000
    head = mov_ecx(LOOP_TRIPS)
    loop = CODE + len(head)
    head += mov_eax(a) + JMP_EAX
    blob = bytearray(b"\x90" * (b - CODE + 16))
    blob[0:len(head)] = head
    blk_a = mov_eax(b) + JMP_EAX
    blob[a - CODE:a - CODE + len(blk_a)] = blk_a
    at = b + 1
    blk_b = DEC_ECX + b"\x0f\x85" + rel32(at, 6, loop) + HLT
    blob[b - CODE:b - CODE + len(blk_b)] = blk_b
    e = make_engine(engine_mod, bytes(blob))
    _loop_bench(benchmark, throughput, engine_mod, e, "jc_conflict",
                "ns per trip (2 x (mov; jmp eax): 2 jump-cache misses, hash hits)")
    s = e.stats()
    assert s["block_lookups"] - s["jump_cache_hits"] >= 2 * LOOP_TRIPS


def test_out_fast_port(benchmark, engine_mod, throughput):
    """OUT to a port answered in C (set_port_constant): no Python per access."""
    e = make_engine(engine_mod, counted_loop(OUT_IMM8_AL + b"\x80", LOOP_TRIPS))
    calls = []
    e.set_port_handlers(lambda p, s: calls.append(p) or 0xFF,
                        lambda p, s, v: calls.append(p))
    e.set_port_constant(0x80, 0)
    _loop_bench(benchmark, throughput, engine_mod, e, "out_fast_port",
                "ns per trip (out 0x80, al; dec; jnz: C constant port)")
    assert not calls


PY_TRIPS = 200_000


def _python_port_bench(benchmark, throughput, mod, insn: bytes, name: str, unit: str) -> None:
    e = make_engine(mod, counted_loop(insn + b"\x81", PY_TRIPS))
    count = [0]

    def rd(port, size):
        count[0] += 1
        return 0x5A

    def wr(port, size, value):
        count[0] += 1
    e.set_port_handlers(rd, wr)

    def setup():
        start(e)

    def once():
        run_to_halt(mod, e)
    setup()
    once()
    assert count[0] == PY_TRIPS
    benchmark.pedantic(once, setup=setup, rounds=9, iterations=1, warmup_rounds=1)
    throughput(name, median_seconds(benchmark) / PY_TRIPS * 1e9, unit)


def test_out_python_port(benchmark, engine_mod, throughput):
    """OUT to a port whose handler is a Python callable."""
    _python_port_bench(benchmark, throughput, engine_mod, OUT_IMM8_AL, "out_python_port",
                       "ns per trip (out 0x81, al; dec; jnz: Python handler)")


def test_in_python_port(benchmark, engine_mod, throughput):
    """IN from a port whose handler is a Python callable."""
    _python_port_bench(benchmark, throughput, engine_mod, IN_AL_IMM8, "in_python_port",
                       "ns per trip (in al, 0x81; dec; jnz: Python handler)")
