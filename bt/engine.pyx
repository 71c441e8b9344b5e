# cython: language_level=3
"""The bt engine: decoder, translator, translation cache, fast loop and the
C-level VMM callouts, compiled as one extension so that the C compiler can
inline across the stages. Each stage lives in its own file, included below
in pipeline order; the .pxd files are the contracts between them.
"""
from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t, int8_t, int16_t, int32_t, int64_t, INT64_MIN
from libc.stdlib cimport calloc, free
from libc.string cimport memset, memmove, memcpy
from libc.stdio cimport FILE, fprintf, fflush, fclose, fdopen
from libc.setjmp cimport jmp_buf, setjmp, longjmp
from cpython.buffer cimport PyBUF_WRITABLE

from bt.cpu.state cimport *
from bt.translate.uop cimport *
from bt.cache.block cimport Block, Cache, MODE_32, JC_SIZE, MAX_BLOCK_INSNS
from bt.exec.vm cimport *
from bt.decode.capstone cimport *

cdef extern from *:
    int __builtin_clz(unsigned int x) nogil
    int __builtin_ctz(unsigned int x) nogil

cdef extern from "unistd.h" nogil:
    int dup(int fd)

include "exec/flags.pxi"
include "exec/memory.pxi"
include "cache/cache.pxi"
include "decode/insn_table.pxi"
include "translate/translate.pxi"
include "decode/scan.pxi"
include "exec/ops.pxi"
include "vmm/interrupts.pxi"
include "vmm/callouts.pxi"
include "exec/strings.pxi"
include "exec/loop.pxi"
include "explain.pxi"

# The exit reasons as Python constants (the C enum names are taken in here).
globals().update({"EXIT_BUDGET": <int>EXIT_BUDGET, "EXIT_HALT": <int>EXIT_HALT,
                  "EXIT_STOP": <int>EXIT_STOP, "EXIT_FAULT": <int>EXIT_FAULT,
                  "EXIT_ERROR": <int>EXIT_ERROR, "FAULT_TRIPLE": <int>FAULT_TRIPLE})

VECTOR_NAMES = {0: "#DE", 1: "#DB", 2: "NMI", 3: "#BP", 4: "#OF", 5: "#BR", 6: "#UD",
                7: "#NM", 8: "#DF", 10: "#TS", 11: "#NP", 12: "#SS", 13: "#GP", 14: "#PF",
                16: "#MF", 17: "#AC", 18: "#MC", 19: "#XM"}

REG_NAMES = ("eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi")
SEG_NAMES = ("es", "cs", "ss", "ds", "fs", "gs")

init_parity()
init_insn_table()
init_reg_tables()
init_privileged()

# Flat 4 GiB descriptors' attribute bits: present, DPL 0, G=1, D/B=1.
FLAT_CODE_ATTR = 0xC9B
FLAT_DATA_ATTR = 0xC93


cdef class Engine:
    """One virtual machine's CPU, RAM and translation cache.

    The machine (bt.machine.Machine) wires devices to it through
    set_port_handlers and drives it with run().
    """
    cdef VM vm
    cdef public object _port_read
    cdef public object _port_write
    cdef public object _pending_exc
    cdef dict _hooks
    cdef object _intr_ack
    cdef object _trace_obj
    cdef Py_ssize_t _shape[1]
    cdef Py_ssize_t _strides[1]

    def __cinit__(self, ram_size: int, cache_bytes: int = 32 * 1024 * 1024):
        memset(&self.vm, 0, sizeof(VM))
        if ram_size < 4096 or ram_size > 0xFFFFF000:
            raise ValueError("RAM size must be between 4 KiB and 4 GiB")
        self.vm.ram_size = ram_size
        self.vm.ram = <uint8_t *>calloc(ram_size, 1)
        self.vm.port_fast = <uint8_t *>calloc(65536, 1)
        self.vm.port_val = <uint32_t *>calloc(65536, sizeof(uint32_t))
        if self.vm.ram == NULL or self.vm.port_fast == NULL or self.vm.port_val == NULL:
            raise MemoryError("cannot allocate guest RAM")
        if cache_init(&self.vm.cache, ram_size, max(cache_bytes // sizeof(Uop), 4 * MAX_BLOCK_INSNS)) < 0:
            raise MemoryError("cannot allocate the translation cache")
        decoder_open(&self.vm)
        self.vm.owner = <void *>self
        self._port_read = lambda port, size: (1 << (8 * size)) - 1
        self._port_write = lambda port, size, value: None
        self._pending_exc = None
        self._hooks = {}
        self._intr_ack = None
        self._trace_obj = None
        self.vm.tsc_base_ns = now_ns()
        self.reset_cpu()

    def __dealloc__(self):
        if self.vm.trace != NULL:
            fclose(self.vm.trace)
            self.vm.trace = NULL
        decoder_close(&self.vm)
        cache_free(&self.vm.cache)
        free(self.vm.ram)
        free(self.vm.port_fast)
        free(self.vm.port_val)

    def __getbuffer__(self, Py_buffer *buf, int flags):
        self._shape[0] = self.vm.ram_size
        self._strides[0] = 1
        buf.buf = <char *>self.vm.ram
        buf.obj = self
        buf.len = self.vm.ram_size
        buf.readonly = 0
        buf.itemsize = 1
        buf.format = b"B"
        buf.ndim = 1
        buf.shape = self._shape
        buf.strides = self._strides
        buf.suboffsets = NULL
        buf.internal = NULL

    def __releasebuffer__(self, Py_buffer *buf):
        pass

    # ---- state ------------------------------------------------------------

    def reset_cpu(self):
        """Protected mode, flat segments, paging and interrupts off."""
        cdef CPUState *s = &self.vm.cpu
        cdef int i
        memset(s, 0, sizeof(CPUState))
        s.eflags = 2
        s.cr0 = 0x11
        for i in range(6):
            self.set_segment(SEG_NAMES[i], 0x08 if i == S_CS else 0x10, 0, 0xFFFFFFFF,
                             FLAT_CODE_ATTR if i == S_CS else FLAT_DATA_ATTR)
        s.gdt_limit = 0xFFFF
        s.idt_limit = 0x3FF
        s.msr_apic_base = 0             # no local APIC (yet)
        s.msr_misc_enable = 1           # fast strings, as QEMU reports
        s.dr[6] = 0xFFFF0FF0
        s.dr[7] = 0x400

    @property
    def ram(self):
        """Writable view of guest physical RAM. Writes through it do not
        invalidate translations: use write_phys for code."""
        return memoryview(self)

    @property
    def ram_size(self):
        return self.vm.ram_size

    @property
    def icount(self):
        """Instructions executed, exact also from a device callback during
        a run (where the run's own count is still being kept in the budget)."""
        if self.vm.running:
            return self.vm.icount + <uint64_t>(self.vm.run_start - self.vm.budget)
        return self.vm.icount

    def write_phys(self, addr: int, data) -> None:
        """Copy bytes into guest RAM and drop translations of what they overwrite."""
        cdef const uint8_t[:] src = memoryview(data).cast("B")
        cdef Py_ssize_t n = src.shape[0]
        if addr < 0 or addr + n > self.vm.ram_size:
            raise ValueError(f"write of {n} bytes at 0x{addr:x} is outside guest RAM")
        if n:
            memcpy(self.vm.ram + <uint32_t>addr, &src[0], n)
            invalidate_phys(&self.vm, addr, addr + n)

    def read_phys(self, addr: int, n: int) -> bytes:
        if addr < 0 or n < 0 or addr + n > self.vm.ram_size:
            raise ValueError(f"read of {n} bytes at 0x{addr:x} is outside guest RAM")
        return (<char *>self.vm.ram)[addr:addr + n]

    def get_reg(self, name: str) -> int:
        cdef CPUState *s = &self.vm.cpu
        name = name.lower()
        if name in REG_NAMES:
            return s.regs[REG_NAMES.index(name)]
        if name in SEG_NAMES:
            return s.seg[SEG_NAMES.index(name)].sel
        if name == "eip":
            return s.eip
        if name == "eflags":
            return get_eflags(s)
        if name in ("cr0", "cr2", "cr3", "cr4"):
            return (s.cr0, 0, s.cr2, s.cr3, s.cr4)[int(name[2])]
        if name == "gdtr_base":
            return s.gdt_base
        if name == "gdtr_limit":
            return s.gdt_limit
        if name == "idtr_base":
            return s.idt_base
        if name == "idtr_limit":
            return s.idt_limit
        if name == "cpl":
            return s.cpl
        raise KeyError(f"unknown register {name!r}")

    def set_reg(self, name: str, value: int) -> None:
        cdef CPUState *s = &self.vm.cpu
        cdef uint32_t v = value & 0xFFFFFFFF
        name = name.lower()
        if name in REG_NAMES:
            s.regs[REG_NAMES.index(name)] = v
        elif name == "eip":
            s.eip = v
        elif name == "eflags":
            s.eflags = (v & 0x3F7FD7) | 2
            s.cc_op = CC_EFLAGS
        elif name == "cr0":
            s.cr0 = v
        elif name == "cr2":
            s.cr2 = v
        elif name == "cr3":
            s.cr3 = v
        elif name == "cr4":
            s.cr4 = v
        elif name == "gdtr_base":
            s.gdt_base = v
        elif name == "gdtr_limit":
            s.gdt_limit = v & 0xFFFF
        elif name == "idtr_base":
            s.idt_base = v
        elif name == "idtr_limit":
            s.idt_limit = v & 0xFFFF
        elif name == "cpl":
            # The virtual privilege level, for debuggers and tests: CS is not
            # reloaded (ring transitions come with the protected-mode work).
            if v > 3:
                raise ValueError("CPL is 0 to 3")
            s.cpl = v
        else:
            raise KeyError(f"unknown or read-only register {name!r}")

    def set_segment(self, name: str, selector: int, base: int, limit: int, attr: int) -> None:
        """Load a segment register and its hidden descriptor cache directly."""
        cdef SegReg *g = &self.vm.cpu.seg[SEG_NAMES.index(name.lower())]
        g.sel = selector & 0xFFFF
        g.base = base & 0xFFFFFFFF
        g.limit = limit & 0xFFFFFFFF
        g.attr = attr & 0xFFFF
        update_seg_checks(&self.vm)

    def get_segment(self, name: str) -> tuple:
        """(selector, base, limit, attr) of a segment register."""
        cdef SegReg *g = &self.vm.cpu.seg[SEG_NAMES.index(name.lower())]
        return (g.sel, g.base, g.limit, g.attr)

    # ---- devices ------------------------------------------------------------

    def set_port_handlers(self, read, write) -> None:
        """Python callbacks for port I/O: read(port, size) -> int and
        write(port, size, value)."""
        self._port_read = read
        self._port_write = write

    def set_port_constant(self, port: int, value) -> None:
        """C fast path for `port`: reads give `value`, writes are dropped.
        None gives the port back to the Python handlers."""
        if not 0 <= port <= 0xFFFF:
            raise ValueError("port out of range")
        if value is None:
            self.vm.port_fast[port] = 0
        else:
            self.vm.port_fast[port] = 1
            self.vm.port_val[port] = value & 0xFFFFFFFF

    def set_callout_hook(self, kind: str, fn) -> None:
        """Call fn(kind, eip) before every callout of `kind` (a name from
        CALLOUT_NAMES, e.g. "out", "cli", "mov_to_cr"); None removes it. The
        hook sees the CPU state before the instruction; if it raises, the run
        stops at that instruction and run() re-raises the error."""
        ids = {v: k for k, v in CALLOUT_NAMES.items()}
        if kind not in ids:
            raise KeyError(f"unknown callout kind {kind!r}")
        co = ids[kind]
        if fn is None:
            self._hooks.pop(co, None)
            self.vm.hook_mask &= ~(<uint64_t>1 << co)
        else:
            self._hooks[co] = fn
            self.vm.hook_mask |= <uint64_t>1 << co

    def _callout_hook(self, co, eip):
        fn = self._hooks.get(co)
        if fn is not None:
            fn(CALLOUT_NAMES[co], eip)

    def set_intr(self, level) -> None:
        """Drive the CPU's INTR input (the interrupt controller's output).
        While it is set and EFLAGS.IF allows, the fast loop calls the
        acknowledge function between blocks and delivers its vector."""
        self.vm.intr = 1 if level else 0

    def set_intr_acknowledge(self, fn) -> None:
        """fn() -> vector (0-255), or -1 if nothing is pending after all:
        the interrupt-acknowledge cycle of the interrupt controller."""
        self._intr_ack = fn

    def _intr_acknowledge(self):
        if self._intr_ack is None:
            self.vm.intr = 0
            return -1
        return self._intr_ack()

    def request_stop(self) -> None:
        """Ask the fast loop to return EXIT_STOP after the current instruction."""
        self.vm.stop_request = 1

    # ---- running ------------------------------------------------------------

    def run(self, max_insns: int = 0) -> int:
        """Run until an exit reason (EXIT_*); max_insns = 0 means no budget."""
        cdef int r
        if max_insns < 0:
            raise ValueError("max_insns must be >= 0")
        self.vm.budget = max_insns if max_insns else 0x7FFFFFFFFFFFFFFF
        self.vm.stop_request = 0
        self._pending_exc = None
        with nogil:
            r = cpu_exec(&self.vm)
        if self.vm.trace != NULL:
            fflush(self.vm.trace)
        if self._pending_exc is not None:
            exc = self._pending_exc
            self._pending_exc = None
            raise exc
        return r

    def set_trace(self, f) -> None:
        """Trace one line per executed block ('ADDR COUNT') to a file object
        with a fileno(), or to a path; None turns tracing off."""
        cdef int fd
        if self.vm.trace != NULL:
            fclose(self.vm.trace)
            self.vm.trace = NULL
        self._trace_obj = None
        if f is None:
            return
        if isinstance(f, (str, bytes)):
            f = open(f, "w")
            self._trace_obj = f
        f.flush()
        fd = dup(f.fileno())
        self.vm.trace = fdopen(fd, b"w")
        if self.vm.trace == NULL:
            raise OSError("cannot open the trace file")

    def flush_cache(self) -> None:
        """Drop every translation."""
        cache_flush(&self.vm)

    @property
    def fault_message(self) -> str:
        cdef VM *vm = &self.vm
        if vm.fault_code == FAULT_TRIPLE or vm.fault_code == FAULT_GATE:
            if vm.first_src == SRC_EXTERNAL:
                first = f"hardware interrupt vector {vm.first_vector}"
            elif vm.first_src == SRC_SOFT:
                first = f"INT 0x{vm.first_vector:02x}"
            else:
                first = VECTOR_NAMES.get(vm.first_vector, f"vector {vm.first_vector}")
            if vm.first_err != 0xFFFFFFFF:
                first += f" (error code 0x{vm.first_err:x})"
            if vm.fault_code == FAULT_GATE:
                what = ("a task gate" if vm.fault_arg == 1 else
                        "a gate into a more privileged ring")
                return (f"{first} at 0x{vm.first_eip:08x} goes through {what}, which bt "
                        f"does not support yet")
            return (f"triple fault: {first} at 0x{vm.first_eip:08x} could not be delivered "
                    f"through the IDT, nor the double fault that followed")
        return describe_fault(vm.fault_code, vm.fault_eip, vm.fault_arg, vm.cs_handle)

    def register_dump(self) -> str:
        """The general and system registers on one line."""
        names = REG_NAMES + ("eip", "eflags", "cr0", "cr2", "cr3")
        regs = " ".join(f"{n}={self.get_reg(n):08x}" for n in names)
        segs = " ".join(f"{n}={self.get_reg(n):04x}" for n in SEG_NAMES)
        return f"{regs} {segs}"

    @property
    def fault_code(self) -> int:
        return self.vm.fault_code

    @property
    def fault_eip(self) -> int:
        return self.vm.fault_eip

    def stats(self) -> dict:
        """Counters of the engine: instructions, translation, cache, callouts."""
        cdef VM *vm = &self.vm
        callouts = {CALLOUT_NAMES[i]: vm.callouts[i] for i in range(CO_COUNT) if vm.callouts[i]}
        return {
            "instructions": vm.icount,
            "blocks_translated": vm.n_translated,
            "instructions_translated": vm.n_translated_insns,
            "block_lookups": vm.n_lookups,
            "jump_cache_hits": vm.n_jc_hits,
            "cache_misses": vm.n_misses,
            "cache_hits": vm.n_lookups - vm.n_misses,
            "chained_jumps": vm.n_chained,
            "invalidations": vm.n_invalidations,
            "smc_block_exits": vm.n_smc_exits,
            "exceptions": vm.n_exceptions,
            "interrupts": vm.n_interrupts,
            "flushes": vm.n_flushes,
            "cache_blocks": vm.cache.n_blocks,
            "cache_uops": vm.cache.n_uops,
            "cache_capacity_uops": vm.cache.max_uops,
            "callouts": callouts,
        }

    def block_successors(self, addr: int) -> list:
        """EIPs a block at CS:addr can continue at that are known at
        translation time (direct branch targets, the fall-through, a call's
        return address); indirect branches and returns add none."""
        cdef CPUState *s = &self.vm.cpu
        cdef uint32_t eip = addr & 0xFFFFFFFF
        cdef uint32_t cs_base = s.seg[S_CS].base
        cdef Block *b = translate_block(&self.vm, eip, eip + cs_base, cs_base, cur_mode(s))
        cdef Uop *last = &b.uops[b.n_uops - 1] if b.n_uops else &b.uops[0]
        cdef Uop *end = &b.uops[b.n_uops]
        if last.op in (OP_JCC, OP_LOOP):
            return [last.imm, last.imm2]
        if last.op == OP_JMP:
            return [last.imm]
        if last.op == OP_CALL:
            return [last.imm, last.imm2]
        if last.op in (OP_CALL_R, OP_CALL_M):
            return [last.imm2]
        if last.op in (OP_RET, OP_JMP_R, OP_JMP_M, OP_FAULT) or \
                (last.op == OP_CALLOUT and last.sub in (CO_HLT, CO_IRET, CO_RETF, CO_INT,
                                                        CO_JMP_FAR, CO_CALL_FAR, CO_SYSENTER,
                                                        CO_SYSEXIT)):
            return []
        return [end.imm]

    def explain(self, addr: int) -> str:
        """The decoded and translated form of the block at CS:addr."""
        cdef CPUState *s = &self.vm.cpu
        cdef uint32_t eip = addr & 0xFFFFFFFF
        cdef uint32_t cs_base = s.seg[S_CS].base
        cdef Block *b = translate_block(&self.vm, eip, eip + cs_base, cs_base, cur_mode(s))
        return explain_block(&self.vm, b)


def describe_fault(code: int, eip: int, arg: int, handle: int = 0) -> str:
    """One-line text for a fault code of the fast loop."""
    if code == FAULT_UD:
        return f"invalid opcode at 0x{eip:08x}"
    if code == FAULT_DE:
        return f"divide error at 0x{eip:08x}"
    if code == FAULT_UNSUPPORTED:
        name = insn_name(handle, arg) if arg else "?"
        return f"unsupported instruction '{name}' at 0x{eip:08x}"
    if code == FAULT_GP:
        return f"general protection fault (error code 0x{arg:x}) at 0x{eip:08x}"
    if code == FAULT_NP:
        return f"segment not present (error code 0x{arg:x}) at 0x{eip:08x}"
    if code == FAULT_SS:
        return f"stack-segment fault (error code 0x{arg:x}) at 0x{eip:08x}"
    if code == FAULT_EXEC_OUTSIDE_RAM:
        return f"execution outside RAM at 0x{arg:08x} (eip 0x{eip:08x})"
    if code == FAULT_MODE:
        what = {0: "real mode (CR0.PE=0) is not supported",
                1: "paging (CR0.PG=1) is not implemented yet",
                3: "Ring 3 (CPL 3) is not implemented yet",
                16: "16-bit code segments are not supported"}.get(arg, "unsupported mode")
        return f"{what} (at 0x{eip:08x})"
    if code == FAULT_ADDR16:
        return f"16-bit addressing (0x67 prefix) is not supported here at 0x{eip:08x}"
    if code == FAULT_BR:
        return (f"BOUND range exceeded (#BR) at 0x{eip:08x}: exception delivery "
                f"through the IDT is not implemented yet")
    return f"fault {code} at 0x{eip:08x}"


def insn_name(handle: int, insn_id: int) -> str:
    cdef const char *n
    if p_cs_insn_name == NULL or handle == 0:
        return "?"
    n = p_cs_insn_name(<csh>handle, insn_id)
    return n.decode() if n != NULL else "?"
