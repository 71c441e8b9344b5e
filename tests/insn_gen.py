"""Hypothesis strategies for random x86 instruction sequences.

Each generated instruction carries the flags it defines, the flags it
leaves undefined (per the Intel SDM) and the flags it reads, so that the
differential test compares only what the architecture defines.
"""
from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

from oracle import AF, ARITH, CF, OF, PF, SF, ZF

W32 = ["eax", "ecx", "edx", "ebx", "ebp", "edi"]           # writable: never ESI/ESP
R32 = W32 + ["esi", "esp"]
W16 = ["ax", "cx", "dx", "bx", "bp", "di"]
R16 = W16 + ["si", "sp"]
W8 = ["al", "cl", "dl", "bl", "ah", "ch", "dh", "bh"]
SZ = {8: "b", 16: "w", 32: "l"}
WREG = {8: W8, 16: W16, 32: W32}
RREG = {8: W8, 16: R16, 32: R32}
CONDS = ["o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g"]
COND_READS = {"o": OF, "no": OF, "b": CF, "ae": CF, "e": ZF, "ne": ZF, "be": CF | ZF,
              "a": CF | ZF, "s": SF, "ns": SF, "p": PF, "np": PF, "l": SF | OF,
              "ge": SF | OF, "le": ZF | SF | OF, "g": ZF | SF | OF}
EDGE = [0, 1, 2, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, 0x80000000,
        0xFFFFFFFF, 0xFFFFFFFE, 0x12345678]


@dataclass
class Insn:
    text: str
    defines: int = 0       # arithmetic flags written with a defined value
    undefines: int = 0     # arithmetic flags left undefined
    reads: int = 0         # arithmetic flags read


def value32() -> st.SearchStrategy[int]:
    return st.one_of(st.sampled_from(EDGE), st.integers(0, 0xFFFFFFFF))


def imm(bits: int) -> st.SearchStrategy[int]:
    return st.one_of(st.sampled_from([0, 1, 0x7F, 0x80, (1 << bits) - 1]),
                     st.integers(0, (1 << bits) - 1))


def mem() -> st.SearchStrategy[str]:
    """A memory operand inside the data area (ESI-based)."""
    return st.integers(-0x100, 0x100).map(lambda d: f"{d}(%esi)")


ALU = ["add", "or", "adc", "sbb", "and", "sub", "xor", "cmp", "test"]
LOGIC = {"or", "and", "xor", "test"}


@st.composite
def alu_insn(draw) -> Insn:
    op = draw(st.sampled_from(ALU))
    bits = draw(st.sampled_from([8, 16, 32]))
    s = SZ[bits]
    form = draw(st.sampled_from(["rr", "ri", "rm", "mr", "mi"] if op != "test" else ["rr", "ri", "mr", "mi"]))
    d = draw(st.sampled_from(WREG[bits]))
    r = draw(st.sampled_from(RREG[bits]))
    i = draw(imm(bits))
    m = draw(mem())
    text = {"rr": f"{op}{s} %{r}, %{d}", "ri": f"{op}{s} ${i}, %{d}",
            "rm": f"{op}{s} {m}, %{d}", "mr": f"{op}{s} %{r}, {m}",
            "mi": f"{op}{s} ${i}, {m}"}[form]
    if op in LOGIC:
        return Insn(text, ARITH & ~AF, AF)
    return Insn(text, ARITH, 0, CF if op in ("adc", "sbb") else 0)


@st.composite
def unary_insn(draw) -> Insn:
    op = draw(st.sampled_from(["inc", "dec", "neg", "not"]))
    bits = draw(st.sampled_from([8, 16, 32]))
    tgt = draw(st.one_of(st.sampled_from(WREG[bits]).map(lambda r: "%" + r), mem()))
    text = f"{op}{SZ[bits]} {tgt}"
    if op in ("inc", "dec"):
        return Insn(text, ARITH & ~CF)
    if op == "neg":
        return Insn(text, ARITH)
    return Insn(text)


@st.composite
def shift_insn(draw) -> Insn:
    op = draw(st.sampled_from(["shl", "shr", "sar", "rol", "ror", "rcl", "rcr"]))
    bits = draw(st.sampled_from([8, 16, 32]))
    tgt = draw(st.one_of(st.sampled_from([r for r in WREG[bits] if r not in ("cl", "cx", "ecx")])
                         .map(lambda r: "%" + r), mem()))
    count = draw(st.one_of(st.sampled_from([0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33]),
                           st.integers(0, 255)))
    how = draw(st.sampled_from(["imm", "cl", "one"]))
    if how == "one":
        count = 1
        text = f"{op}{SZ[bits]} {tgt}"
    elif how == "imm":
        text = f"{op}{SZ[bits]} ${count}, {tgt}"
    else:
        text = f"movb ${count}, %cl\n{op}{SZ[bits]} %cl, {tgt}"
    c = count & 31
    reads = CF if op in ("rcl", "rcr") else 0
    if c == 0:
        return Insn(text, 0, 0, reads)
    if op in ("rol", "ror", "rcl", "rcr"):
        return Insn(text, CF | (OF if c == 1 else 0), 0 if c == 1 else OF, reads)
    defined = CF | SF | ZF | PF | (OF if c == 1 else 0)
    undefined = AF | (0 if c == 1 else OF)
    if op in ("shl", "shr") and c >= bits:
        defined &= ~CF
        undefined |= CF
    return Insn(text, defined, undefined)


@st.composite
def shd_insn(draw) -> Insn:
    op = draw(st.sampled_from(["shld", "shrd"]))
    bits = draw(st.sampled_from([16, 32]))
    d = draw(st.one_of(st.sampled_from([r for r in WREG[bits] if r not in ("cx", "ecx")])
                       .map(lambda r: "%" + r), mem()))
    r = draw(st.sampled_from([x for x in RREG[bits] if x not in ("cx", "ecx")]))
    count = draw(st.integers(0, bits if bits == 16 else 31))
    if draw(st.booleans()):
        text = f"{op}{SZ[bits]} ${count}, %{r}, {d}"
    else:
        text = f"movb ${count}, %cl\n{op}{SZ[bits]} %cl, %{r}, {d}"
    if count == 0:
        return Insn(text)
    return Insn(text, CF | SF | ZF | PF | (OF if count == 1 else 0),
                AF | (0 if count == 1 else OF))


@st.composite
def muldiv_insn(draw) -> Insn:
    kind = draw(st.sampled_from(["mul", "imul1", "imul2", "imul3", "div", "idiv"]))
    bits = draw(st.sampled_from([8, 16, 32]))
    s = SZ[bits]
    src = draw(st.sampled_from([r for r in WREG[bits] if r not in ("al", "ah", "ax", "eax", "dl", "dh", "dx", "edx")]))
    if kind in ("mul", "imul1"):
        return Insn(f"{kind[:4]}{s} %{src}", CF | OF, SF | ZF | AF | PF)
    if kind in ("imul2", "imul3"):
        if bits == 8:
            bits, s = 32, "l"
            src = draw(st.sampled_from(R32))
        d = draw(st.sampled_from(WREG[bits]))
        srcop = draw(st.one_of(st.just("%" + src if src in RREG[bits] else "%" + RREG[bits][0]), mem()))
        if kind == "imul2":
            return Insn(f"imul{s} {srcop}, %{d}", CF | OF, SF | ZF | AF | PF)
        i = draw(st.integers(-128, 127) if draw(st.booleans()) else st.integers(-(1 << (bits - 1)), (1 << (bits - 1)) - 1))
        return Insn(f"imul{s} ${i}, {srcop}, %{d}", CF | OF, SF | ZF | AF | PF)
    # Division: keep the quotient in range so that both engines take no #DE
    # in most cases (a #DE is compared too: both must fault).
    acc = {8: "ax", 16: "ax", 32: "eax"}[bits]
    hi = {8: "", 16: "xorw %dx, %dx\n", 32: "xorl %edx, %edx\n"}[bits]
    if kind == "div":
        pre = f"{hi}or{s} $1, %{src}\n" if bits != 8 else f"movb $0, %ah\norb $1, %{src}\n"
        return Insn(f"{pre}div{s} %{src}", 0, ARITH)
    ext = {8: "cbtw\n", 16: "cwtd\n", 32: "cltd\n"}[bits]
    return Insn(f"{ext}or{s} $1, %{src}\nidiv{s} %{src}", 0, ARITH)


@st.composite
def bit_insn(draw) -> Insn:
    op = draw(st.sampled_from(["bt", "bts", "btr", "btc", "bsf", "bsr"]))
    bits = draw(st.sampled_from([16, 32]))
    s = SZ[bits]
    if op in ("bsf", "bsr"):
        d = draw(st.sampled_from(WREG[bits]))
        src = draw(st.one_of(st.sampled_from(RREG[bits]).map(lambda r: "%" + r), mem()))
        return Insn(f"{op}{s} {src}, %{d}", ZF, CF | OF | SF | AF | PF)
    form = draw(st.sampled_from(["ri", "rr", "mi", "mr"]))
    d = draw(st.sampled_from(WREG[bits]))
    if form == "ri":
        text = f"{op}{s} ${draw(st.integers(0, 255))}, %{d}"
    elif form == "rr":
        text = f"{op}{s} %{draw(st.sampled_from(RREG[bits]))}, %{d}"
    elif form == "mi":
        text = f"{op}{s} ${draw(st.integers(0, 255))}, {draw(mem())}"
    else:
        # A register bit offset addresses a bit string: keep it near ESI.
        off = draw(st.integers(-256, 256))
        r = "edi" if bits == 32 else "di"
        text = f"mov{s} ${off}, %{r}\n{op}{s} %{r}, {draw(mem())}"
    return Insn(text, CF, OF | SF | AF | PF)


@st.composite
def move_insn(draw) -> Insn:
    kind = draw(st.sampled_from(["mov", "movzx", "movsx", "lea", "xchg", "bswap", "cmov",
                                 "setcc", "xadd", "cmpxchg", "cmpxchg8b", "cbw", "moffs",
                                 "xlat"]))
    bits = draw(st.sampled_from([8, 16, 32]))
    s = SZ[bits]
    d = draw(st.sampled_from(WREG[bits]))
    r = draw(st.sampled_from(RREG[bits]))
    m = draw(mem())
    if kind == "mov":
        form = draw(st.sampled_from(["rr", "ri", "rm", "mr", "mi"]))
        i = draw(imm(bits))
        return Insn({"rr": f"mov{s} %{r}, %{d}", "ri": f"mov{s} ${i}, %{d}",
                     "rm": f"mov{s} {m}, %{d}", "mr": f"mov{s} %{r}, {m}",
                     "mi": f"mov{s} ${i}, {m}"}[form])
    if kind in ("movzx", "movsx"):
        sb = draw(st.sampled_from([8, 16]))
        db = draw(st.sampled_from([b for b in (16, 32) if b > sb]))
        src = draw(st.one_of(st.sampled_from(RREG[sb]).map(lambda x: "%" + x), mem()))
        mn = ("movz" if kind == "movzx" else "movs") + SZ[sb] + SZ[db]
        return Insn(f"{mn} {src}, %{draw(st.sampled_from(WREG[db]))}")
    if kind == "lea":
        b2 = draw(st.sampled_from([16, 32]))
        base = draw(st.sampled_from(R32))
        idx = draw(st.sampled_from([x for x in R32 if x != "esp"]))
        sc = draw(st.sampled_from([1, 2, 4, 8]))
        disp = draw(st.integers(-0x80000000, 0x7FFFFFFF))
        return Insn(f"lea{SZ[b2]} {disp}(%{base},%{idx},{sc}), %{draw(st.sampled_from(WREG[b2]))}")
    if kind == "xchg":
        return Insn(draw(st.sampled_from([f"xchg{s} %{draw(st.sampled_from(WREG[bits]))}, %{d}",
                                          f"xchg{s} {m}, %{d}"])))
    if kind == "bswap":
        return Insn(f"bswap %{draw(st.sampled_from(W32))}")
    if kind == "cmov":
        cc = draw(st.sampled_from(CONDS))
        b2 = draw(st.sampled_from([16, 32]))
        src = draw(st.one_of(st.sampled_from(RREG[b2]).map(lambda x: "%" + x), mem()))
        return Insn(f"cmov{cc}{SZ[b2]} {src}, %{draw(st.sampled_from(WREG[b2]))}", 0, 0, COND_READS[cc])
    if kind == "setcc":
        cc = draw(st.sampled_from(CONDS))
        tgt = draw(st.one_of(st.sampled_from(W8).map(lambda x: "%" + x), mem()))
        return Insn(f"set{cc} {tgt}", 0, 0, COND_READS[cc])
    if kind == "xadd":
        tgt = draw(st.one_of(st.just("%" + d), st.just(m)))
        lock = "lock " if tgt.startswith("-") or tgt[0].isdigit() else ""
        return Insn(f"{lock}xadd{s} %{draw(st.sampled_from(WREG[bits]))}, {tgt}", ARITH)
    if kind == "cmpxchg":
        tgt = draw(st.one_of(st.just("%" + d), st.just(m)))
        return Insn(f"cmpxchg{s} %{draw(st.sampled_from(WREG[bits]))}, {tgt}", ARITH)
    if kind == "cmpxchg8b":
        pre = draw(st.sampled_from(["", f"mov {m}, %eax\nmov 4+{m}, %edx\n"]))
        # Unicorn garbles the other flags across CMPXCHG8B (AF lost; CF and
        # OF recomputed wrongly after a shift); hardware keeps every flag but
        # ZF (checked natively), and so does bt. Only ZF is compared after it.
        return Insn(f"{pre}cmpxchg8b {m}", ZF, ARITH & ~ZF)
    if kind == "cbw":
        return Insn(draw(st.sampled_from(["cbtw", "cwtl", "cwtd", "cltd"])))
    if kind == "moffs":
        addr = 0x20400 + draw(st.integers(-0x100, 0x100))
        reg = {8: "al", 16: "ax", 32: "eax"}[bits]
        return Insn(draw(st.sampled_from([f"mov{s} 0x{addr:x}, %{reg}", f"mov{s} %{reg}, 0x{addr:x}"])))
    return Insn(f"lea {draw(st.integers(-0x80, 0x7F))}(%esi), %ebx\nxlat")


@st.composite
def flag_insn(draw) -> Insn:
    op = draw(st.sampled_from(["clc", "stc", "cmc", "cld", "std", "lahf", "sahf"]))
    if op in ("clc", "stc"):
        return Insn(op, CF)
    if op == "cmc":
        return Insn(op, CF, 0, CF)
    if op == "lahf":
        return Insn(op, 0, 0, SF | ZF | AF | PF | CF)
    if op == "sahf":
        return Insn(op, SF | ZF | AF | PF | CF)
    return Insn(op)


@st.composite
def stack_insn(draw) -> Insn:
    kind = draw(st.sampled_from(["push", "pushw", "pushi", "pushm", "popm", "pop", "pusha",
                                 "enter", "call", "ret"]))
    if kind == "push":
        return Insn(f"push %{draw(st.sampled_from(R32))}\npop %{draw(st.sampled_from(W32))}")
    if kind == "pushw":
        return Insn(f"pushw %{draw(st.sampled_from(R16))}\npopw %{draw(st.sampled_from(W16))}")
    if kind == "pushi":
        i = draw(st.integers(-0x80000000, 0x7FFFFFFF))
        return Insn(f"push ${i}\npop %{draw(st.sampled_from(W32))}")
    if kind == "pushm":
        return Insn(f"pushl {draw(mem())}\npop %{draw(st.sampled_from(W32))}")
    if kind == "popm":
        return Insn(f"push %{draw(st.sampled_from(R32))}\npopl {draw(mem())}")
    if kind == "pop":
        return Insn(f"push ${draw(st.integers(0, 0xFFFF))}\npop %{draw(st.sampled_from(W32))}")
    if kind == "pusha":
        return Insn(draw(st.sampled_from(["pusha\npopa", "pushal\nmov 8(%esp), %eax\npopal",
                                          "pushaw\npopaw"])))
    if kind == "enter":
        size = draw(st.integers(0, 64))
        level = draw(st.integers(0, 4))
        return Insn(f"mov %esp, %ebp\nenter ${size}, ${level}\nmov (%esp), %eax\nleave")
    if kind == "call":
        return Insn(f"call 1f\n1: pop %{draw(st.sampled_from(W32))}")
    n = draw(st.sampled_from([0, 4, 8]))
    pushes = "push $0\n" * (n // 4)
    return Insn(f"{pushes}call 2f\njmp 3f\n2: ret ${n}\n3:" if n else "call 2f\njmp 3f\n2: ret\n3:")


@st.composite
def branch_insn(draw) -> Insn:
    kind = draw(st.sampled_from(["jcc", "jccnear", "loop", "loope", "loopne", "jecxz", "jmpr"]))
    if kind in ("jcc", "jccnear"):
        cc = draw(st.sampled_from(CONDS))
        pad = "\n.fill 200, 1, 0x90" if kind == "jccnear" else ""
        return Insn(f"j{cc} 1f\nnotl %eax{pad}\n1:", 0, 0, COND_READS[cc])
    if kind == "jecxz":
        return Insn(f"mov ${draw(st.integers(0, 2))}, %ecx\njecxz 1f\nnotl %eax\n1:")
    if kind == "jmpr":
        return Insn("lea 1f, %edx\njmp *%edx\nnotl %eax\n1:")
    n = draw(st.integers(1, 5))
    if kind == "loop":
        return Insn(f"mov ${n}, %ecx\n1: addl $3, %eax\nloop 1b", ARITH)
    k = draw(st.integers(0, 5))
    # Unicorn (QEMU 5's translator) loses AF across LOOPE/LOOPNE; hardware
    # keeps it (checked natively), and so does bt. AF is not compared here.
    return Insn(f"mov ${n}, %ecx\n1: cmpl ${k}, %ecx\n{kind} 1b", ARITH & ~AF, AF)


@st.composite
def string_insn(draw) -> Insn:
    op = draw(st.sampled_from(["movs", "stos", "lods", "cmps", "scas"]))
    bits = draw(st.sampled_from([8, 16, 32]))
    rep = draw(st.sampled_from(["", "rep ", "repe ", "repne "] if op in ("cmps", "scas") else ["", "rep "]))
    n = draw(st.integers(0, 24))
    off = draw(st.integers(-0x80, 0x80))
    text = (f"push %esi\nlea {off}(%esi), %edi\nlea {draw(st.integers(-0x80, 0x80))}(%esi), %esi\n"
            f"mov ${n}, %ecx\n{rep}{op}{SZ[bits]}\npop %esi")
    if op in ("cmps", "scas"):
        return Insn(text) if rep and n == 0 else Insn(text, ARITH)
    return Insn(text)


@st.composite
def legacy_insn(draw) -> Insn:
    """BCD adjustments, and 16-bit addressing (0x67) in LEA."""
    op = draw(st.sampled_from(["daa", "das", "aaa", "aas", "aam", "aad", "addr16"]))
    if op in ("daa", "das"):
        return Insn(op, CF | AF | SF | ZF | PF, OF, CF | AF)
    if op in ("aaa", "aas"):
        return Insn(op, CF | AF, OF | SF | ZF | PF, AF)
    if op in ("aam", "aad"):
        base = draw(st.integers(1, 255))
        return Insn(f"{op} ${base}", SF | ZF | PF, OF | AF | CF)
    base = draw(st.sampled_from(["bx", "bp", "si", "di", None]))
    index = draw(st.sampled_from(["si", "di", None])) if base in ("bx", "bp") else None
    disp = draw(st.integers(-0x8000, 0xFFFF))
    inner = ",".join(f"%{r}" for r in (base, index) if r)
    addr = f"{disp}({inner})" if inner else f"{disp & 0xFFFF}"
    dst = draw(st.sampled_from(["eax", "edx", "ax", "dx"]))
    return Insn(f"addr16 lea{'l' if dst[0] == 'e' else 'w'} {addr}, %{dst}")


def instruction() -> st.SearchStrategy[Insn]:
    return st.one_of(alu_insn(), unary_insn(), shift_insn(), shd_insn(), muldiv_insn(),
                     bit_insn(), move_insn(), flag_insn(), stack_insn(), branch_insn(),
                     string_insn(), legacy_insn())


def undefined_after(seq: list[Insn]) -> int | None:
    """Flags undefined at the end, or None if an instruction reads an undefined flag."""
    undefined = 0
    for insn in seq:
        if insn.reads & undefined:
            return None
        undefined = (undefined & ~insn.defines) | insn.undefines
    return undefined
