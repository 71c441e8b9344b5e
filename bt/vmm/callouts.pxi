# VMM callouts: the sensitive instructions, emulated against the virtual CPU.
#
# Cheap ones (CLI/STI/PUSHF/POPF, CPUID, RDTSC, descriptor-table and control
# register moves, segment loads) stay in C. Port I/O reaches the Python
# device models through one bus, except ports marked fast (constant reads,
# dropped writes), which never leave C.

cdef extern from "time.h" nogil:
    ctypedef long time_t
    struct timespec:
        time_t tv_sec
        long tv_nsec
    int clock_gettime(int clk, timespec *ts)
    int CLOCK_MONOTONIC

cdef inline uint64_t now_ns() noexcept nogil:
    cdef timespec ts
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return <uint64_t>ts.tv_sec * 1000000000 + ts.tv_nsec

cdef inline void fault(VM *vm, Uop *u, int code, uint32_t arg) noexcept nogil:
    """Stop u's instruction with a fault: an architectural one (#DE, #UD,
    #GP...) is delivered through the IDT (raise_fault does not return);
    anything else stops the run."""
    cdef uint32_t vec
    if fault_vector(code, &vec) == 0:
        raise_fault(vm, u, code, arg)
    vm.exit_reason = EXIT_FAULT
    vm.fault_code = code
    vm.fault_eip = u.eip
    vm.fault_arg = arg
    vm.cpu.eip = u.eip

# ---- port I/O -------------------------------------------------------------

cdef uint32_t port_in_py(VM *vm, uint32_t port, uint32_t size) noexcept nogil:
    """Reach the Python device models. An exception in a device stops the
    loop and is re-raised by Engine.run."""
    cdef uint32_t v = 0xFFFFFFFFU
    with gil:
        try:
            v = (<object>vm.owner)._port_read(port, size) & 0xFFFFFFFF
        except BaseException as e:
            (<object>vm.owner)._pending_exc = e
            vm.stop_request = 1
    return v

cdef void port_out_py(VM *vm, uint32_t port, uint32_t size, uint32_t v) noexcept nogil:
    with gil:
        try:
            (<object>vm.owner)._port_write(port, size, v)
        except BaseException as e:
            (<object>vm.owner)._pending_exc = e
            vm.stop_request = 1

cdef inline uint32_t port_in(VM *vm, uint32_t port, uint32_t size) noexcept nogil:
    if vm.port_fast[port]:
        return vm.port_val[port] & size_mask(size)
    return port_in_py(vm, port, size) & size_mask(size)

cdef inline void port_out(VM *vm, uint32_t port, uint32_t size, uint32_t v) noexcept nogil:
    if vm.port_fast[port]:
        return
    port_out_py(vm, port, size, v & size_mask(size))

# ---- hooks ----------------------------------------------------------------

cdef int run_hook(VM *vm, Uop *u, uint32_t co) noexcept nogil:
    """Call the Python hook registered for callout kind `co`, before the
    instruction runs. A hook that raises stops the run at this instruction
    (Engine.run re-raises the error). Returns 0 or RC_EXIT."""
    cdef int failed = 0
    vm.cpu.eip = u.eip
    with gil:
        try:
            (<object>vm.owner)._callout_hook(co, u.eip)
        except BaseException as e:
            (<object>vm.owner)._pending_exc = e
            failed = 1
    if failed or vm.stop_request:
        vm.cpu.eip = u.eip
        vm.exit_reason = EXIT_STOP
        vm.stop_request = 1
        return RC_EXIT
    return 0

cdef inline int callout_enter(VM *vm, Uop *u, uint32_t co) noexcept nogil:
    """Count a callout and run its hook if one is registered. With no hook
    this is one increment and one test of a word that is zero."""
    vm.callouts[co] += 1
    if vm.hook_mask and (vm.hook_mask >> co) & 1:
        return run_hook(vm, u, co)
    return 0

# ---- CPUID and time -------------------------------------------------------

# Our vendor string: "bt binary tr" would not fit the 12-byte form nicely;
# "btVirtualCPU" is ours, and says what it is.
cdef const char *VENDOR = b"btVirtualCPU"
cdef const char *BRAND = b"bt binary-translated x86 CPU\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"

# Leaf 1 EDX: only what bt implements: TSC (4), MSR (5), CX8 (8), SEP is not
# there yet, CMOV (15). No FPU, no MMX/SSE, no APIC.
cdef enum:
    CPUID_1_EDX = (1 << 4) | (1 << 5) | (1 << 8) | (1 << 15)
    CPUID_1_EAX = 0x0631        # family 6, model 3, stepping 1

cdef void do_cpuid(CPUState *s) noexcept nogil:
    cdef uint32_t leaf = s.regs[R_EAX]
    cdef uint32_t *R = s.regs
    cdef const uint32_t *w
    cdef int i
    R[0] = R[1] = R[2] = R[3] = 0
    if leaf == 0:
        w = <const uint32_t *>VENDOR
        R[R_EAX] = 1
        R[R_EBX] = w[0]
        R[R_EDX] = w[1]
        R[R_ECX] = w[2]
    elif leaf == 1:
        R[R_EAX] = CPUID_1_EAX
        R[R_EDX] = CPUID_1_EDX
    elif leaf == 0x80000000U:
        R[R_EAX] = 0x80000004U
    elif 0x80000002U <= leaf <= 0x80000004U:
        w = (<const uint32_t *>BRAND) + (leaf - 0x80000002U) * 4
        R[R_EAX] = w[0]
        R[R_EBX] = w[1]
        R[R_ECX] = w[2]
        R[R_EDX] = w[3]

cdef inline uint64_t read_tsc(VM *vm) noexcept nogil:
    # A 1 GHz virtual TSC following host time (the clock options come with
    # the timer devices).
    return now_ns() - vm.tsc_base_ns

# ---- segments and descriptor tables --------------------------------------

cdef int read_descriptor(VM *vm, uint32_t sel, SegReg *out) noexcept nogil:
    """Fill `out` from the GDT/LDT entry for `sel`. Returns 0, or -1 if the
    selector lies outside its table."""
    cdef CPUState *s = &vm.cpu
    cdef uint32_t base, limit, idx = sel & 0xFFF8
    cdef uint32_t lo, hi
    if sel & 4:
        base = s.ldtr.base
        limit = s.ldtr.limit
    else:
        base = s.gdt_base
        limit = s.gdt_limit
    if idx + 7 > limit:
        return -1
    lo = rd32(vm, base + idx)
    hi = rd32(vm, base + idx + 4)
    out.sel = <uint16_t>sel
    out.base = (lo >> 16) | ((hi & 0xFF) << 16) | (hi & 0xFF000000U)
    out.limit = (lo & 0xFFFF) | (hi & 0xF0000)
    out.attr = <uint16_t>(((hi >> 8) & 0xFF) | ((hi >> 12) & 0xF00))
    if out.attr & 0x800:            # G: limit in 4 KiB units
        out.limit = (out.limit << 12) | 0xFFF
    return 0

cdef int check_selector(VM *vm, uint32_t sel, uint32_t co, uint32_t *lo_out,
                        uint32_t *hi_out) noexcept nogil:
    """LAR/LSL/VERR/VERW: 1 if `sel` passes the instruction's checks (the
    descriptor is in its table, of a type the instruction accepts, and
    visible at max(CPL, RPL) unless it is a conforming code segment)."""
    cdef CPUState *s = &vm.cpu
    cdef uint32_t base, limit, idx = sel & 0xFFF8, lo, hi, typ, dpl
    cdef uint32_t rpl = sel & 3
    cdef bint conforming_code
    if (sel & 0xFFFC) == 0:
        return 0
    if sel & 4:
        base = s.ldtr.base
        limit = s.ldtr.limit
    else:
        base = s.gdt_base
        limit = s.gdt_limit
    if idx + 7 > limit:
        return 0
    lo = rd32(vm, base + idx)
    hi = rd32(vm, base + idx + 4)
    typ = (hi >> 8) & 0x1F          # S bit and type
    dpl = (hi >> 13) & 3
    conforming_code = (typ & 0x1C) == 0x1C
    if typ & 0x10:                  # code or data
        if co == CO_VERR and (typ & 0x1A) == 0x18:
            return 0                # execute-only code
        if co == CO_VERW and (typ & 0x1A) != 0x12:
            return 0                # only writable data
    else:                           # system descriptors
        if co == CO_VERR or co == CO_VERW:
            return 0
        if co == CO_LAR and typ not in (1, 2, 3, 4, 5, 9, 11, 12):
            return 0
        if co == CO_LSL and typ not in (1, 2, 3, 9, 11):
            return 0
    if not conforming_code and (dpl < s.cpl or dpl < rpl):
        return 0
    lo_out[0] = lo
    hi_out[0] = hi
    return 1

cdef void mark_accessed(VM *vm, uint32_t sel) noexcept nogil:
    """Set the descriptor's accessed bit in the guest's table, as a load does."""
    cdef uint32_t a = (vm.cpu.ldtr.base if sel & 4 else vm.cpu.gdt_base) + (sel & 0xFFF8) + 5
    cdef uint32_t t = rd(vm, a, 1)
    if not (t & 1):
        wr(vm, a, 1, t | 1)

cdef int load_seg(VM *vm, Uop *u, uint32_t segi, uint32_t sel) noexcept nogil:
    """Load DS/ES/FS/GS/SS with the SDM's checks. Returns 0 (the fault paths
    do not return)."""
    cdef SegReg d
    cdef CPUState *s = &vm.cpu
    cdef uint32_t rpl = sel & 3, dpl, typ
    if (sel & 0xFFFC) == 0:
        # A null selector may go into a data segment register (it faults on
        # use), never into SS.
        if segi == S_SS:
            raise_fault(vm, u, FAULT_GP, 0)
        s.seg[segi].sel = <uint16_t>sel
        s.seg[segi].base = 0
        s.seg[segi].limit = 0
        s.seg[segi].attr = 0
        update_seg_checks(vm)
        return 0
    if read_descriptor(vm, sel, &d) < 0:
        raise_fault(vm, u, FAULT_GP, sel & 0xFFFC)
    dpl = (d.attr >> 5) & 3
    typ = d.attr & 0x1F                     # S bit and type
    if segi == S_SS:
        # A writable data segment at exactly the current privilege.
        if rpl != s.cpl or dpl != s.cpl or (typ & 0x1A) != 0x12:
            raise_fault(vm, u, FAULT_GP, sel & 0xFFFC)
        if not (d.attr & 0x80):
            raise_fault(vm, u, FAULT_SS, sel & 0xFFFC)
    else:
        # Data, or readable code; privilege checked unless conforming code.
        if not (typ & 0x10) or (typ & 0x0A) == 0x08:
            raise_fault(vm, u, FAULT_GP, sel & 0xFFFC)
        if (typ & 0x0C) != 0x0C and (dpl < s.cpl or dpl < rpl):
            raise_fault(vm, u, FAULT_GP, sel & 0xFFFC)
        if not (d.attr & 0x80):
            raise_fault(vm, u, FAULT_NP, sel & 0xFFFC)
    mark_accessed(vm, sel)
    d.attr |= 1
    s.seg[segi] = d
    update_seg_checks(vm)
    return 0

cdef int load_cs(VM *vm, Uop *u, uint32_t sel, uint32_t eip) noexcept nogil:
    """Far JMP/CALL/RET/IRET to sel:eip at the same privilege. Returns RC_JUMP
    (the fault paths do not return)."""
    cdef SegReg d
    cdef CPUState *s = &vm.cpu
    cdef uint32_t rpl = sel & 3, dpl
    if (sel & 0xFFFC) == 0 or read_descriptor(vm, sel, &d) < 0 or (d.attr & 0x18) != 0x18:
        raise_fault(vm, u, FAULT_GP, sel & 0xFFFC)
    dpl = (d.attr >> 5) & 3
    if d.attr & 0x04:                       # conforming: DPL <= CPL
        if dpl > s.cpl:
            raise_fault(vm, u, FAULT_GP, sel & 0xFFFC)
    elif rpl > s.cpl or dpl != s.cpl:
        # A privilege change needs a call gate or an interrupt: later work.
        raise_fault(vm, u, FAULT_GP, sel & 0xFFFC)
    if not (d.attr & 0x80):
        raise_fault(vm, u, FAULT_NP, sel & 0xFFFC)
    if not (d.attr & 0x400):
        fault(vm, u, FAULT_MODE, 16)
        return RC_EXIT
    mark_accessed(vm, sel)
    d.attr |= 1
    d.sel = <uint16_t>((sel & 0xFFFC) | s.cpl)
    s.seg[S_CS] = d
    update_seg_checks(vm)
    s.eip = eip
    vm.slot = 2
    return RC_JUMP

cdef int do_callout(VM *vm, Uop *u) noexcept nogil:
    """The rarer sensitive instructions. Returns an RC_* code."""
    cdef CPUState *s = &vm.cpu
    cdef uint32_t co = u.sub
    cdef uint32_t a, v, sel, off, fl, n
    cdef uint64_t t
    cdef int rc
    if callout_enter(vm, u, co):
        return RC_EXIT
    if CO_PRIVILEGED[co] and s.cpl != 0:
        raise_fault(vm, u, FAULT_GP, 0)
    if co == CO_HLT:
        s.eip = u.imm2
        vm.exit_reason = EXIT_HALT
        return RC_EXIT
    elif co == CO_CPUID:
        do_cpuid(s)
    elif co == CO_RDTSC:
        if (s.cr4 & 4) and s.cpl > 0:
            fault(vm, u, FAULT_GP, 0)
            return RC_EXIT
        t = read_tsc(vm)
        s.regs[R_EAX] = <uint32_t>t
        s.regs[R_EDX] = <uint32_t>(t >> 32)
    elif co == CO_LGDT or co == CO_LIDT:
        a = lin_of(vm, u)
        v = rd(vm, a, 2)
        off = rd32(vm, a + 2)
        if u.size == 2:
            off &= 0xFFFFFF
        if co == CO_LGDT:
            s.gdt_limit = v
            s.gdt_base = off
        else:
            s.idt_limit = v
            s.idt_base = off
    elif co == CO_SGDT or co == CO_SIDT:
        a = lin_of(vm, u)
        rc = wr(vm, a, 2, s.gdt_limit if co == CO_SGDT else s.idt_limit)
        rc |= wr32(vm, a + 2, s.gdt_base if co == CO_SGDT else s.idt_base)
        return rc
    elif co == CO_LLDT or co == CO_LTR:
        sel = rd(vm, lin_of(vm, u), 2) if u.aux & 1 else rreg(s, u.r1, 2)
        if co == CO_LLDT:
            if (sel & 0xFFFC) == 0:
                s.ldtr.sel = <uint16_t>sel
                s.ldtr.base = 0
                s.ldtr.limit = 0
                s.ldtr.attr = 0
            elif read_descriptor(vm, sel & ~4, &s.ldtr) < 0:
                fault(vm, u, FAULT_GP, sel & 0xFFFC)
                return RC_EXIT
        else:
            if (sel & 0xFFFC) == 0 or read_descriptor(vm, sel & ~4, &s.tr) < 0:
                fault(vm, u, FAULT_GP, sel & 0xFFFC)
                return RC_EXIT
            # Mark the TSS descriptor busy, as LTR does.
            a = s.gdt_base + (sel & 0xFFF8) + 5
            rc = wr(vm, a, 1, rd(vm, a, 1) | 2)
            s.tr.attr |= 2
            return rc
    elif co == CO_SLDT or co == CO_STR or co == CO_SMSW:
        if co == CO_SLDT:
            v = s.ldtr.sel
        elif co == CO_STR:
            v = s.tr.sel
        else:
            v = s.cr0
        if u.aux & 1:
            return wr(vm, lin_of(vm, u), 2, v)
        wreg(s, u.r1, u.size, v if u.size == 4 else v & 0xFFFF)
    elif co == CO_LMSW:
        v = rd(vm, lin_of(vm, u), 2) if u.aux & 1 else rreg(s, u.r1, 2)
        # LMSW cannot clear PE.
        s.cr0 = (s.cr0 & ~<uint32_t>0xE) | (v & 0xF) | (s.cr0 & 1)
    elif co == CO_CLTS:
        s.cr0 &= ~<uint32_t>8
    elif co == CO_MOV_FROM_CR:
        n = u.imm
        if n == 0:
            v = s.cr0
        elif n == 2:
            v = s.cr2
        elif n == 3:
            v = s.cr3
        else:
            v = s.cr4
        s.regs[u.r1 >> 2] = v
    elif co == CO_MOV_TO_CR:
        v = s.regs[u.r1 >> 2]
        n = u.imm
        if n == 0:
            if not (v & 1):
                fault(vm, u, FAULT_MODE, 0)
                return RC_EXIT
            if v & 0x80000000U:
                fault(vm, u, FAULT_MODE, 1)
                return RC_EXIT
            s.cr0 = v | 0x10
        elif n == 2:
            s.cr2 = v
        elif n == 3:
            s.cr3 = v
        else:
            s.cr4 = v
        # Control registers change the mode translations depend on.
        s.eip = u.imm2
        vm.slot = 2
        return RC_JUMP
    elif co == CO_MOV_FROM_DR or co == CO_MOV_TO_DR:
        n = u.imm & 7
        if n == 4 or n == 5:
            # DR4/DR5 are DR6/DR7 unless CR4.DE makes them undefined (#UD).
            if s.cr4 & 8:
                raise_fault(vm, u, FAULT_UD, 0)
            n += 2
        if co == CO_MOV_FROM_DR:
            s.regs[u.r1 >> 2] = s.dr[n]
        else:
            v = s.regs[u.r1 >> 2]
            # DR6 bits 4-11 and 16-31 and DR7 bit 10 always read as 1.
            if n == 6:
                v |= 0xFFFF0FF0U
            elif n == 7:
                v |= 0x400
            s.dr[n] = v
    elif co == CO_MOV_TO_SREG:
        sel = rd(vm, lin_of(vm, u), 2) if u.aux & 1 else rreg(s, u.r1, 2)
        return load_seg(vm, u, u.imm, sel)
    elif co == CO_MOV_FROM_SREG:
        v = s.seg[u.imm].sel
        if u.aux & 1:
            return wr(vm, lin_of(vm, u), 2, v)
        wreg(s, u.r1, u.size, v)
    elif co == CO_PUSH_SREG:
        # A 32-bit push of a segment register writes only 16 bits, as
        # recent processors do.
        a = s.regs[R_ESP] - u.size
        rc = wr(vm, a + s.seg[S_SS].base, 2, s.seg[u.imm].sel)
        s.regs[R_ESP] = a
        return rc
    elif co == CO_POP_SREG:
        sel = rd(vm, s.regs[R_ESP] + s.seg[S_SS].base, 2)
        rc = load_seg(vm, u, u.imm, sel)
        if rc == 0:
            s.regs[R_ESP] += u.size
        return rc
    elif co == CO_LOAD_FAR_PTR:
        a = lin_of(vm, u)
        off = rd(vm, a, u.size)
        sel = rd(vm, a + u.size, 2)
        rc = load_seg(vm, u, u.imm, sel)
        if rc == 0:
            wreg(s, u.r1, u.size, off)
        return rc
    elif co == CO_JMP_FAR or co == CO_CALL_FAR:
        if u.aux & 1:
            a = lin_of(vm, u)
            off = rd(vm, a, u.size)
            sel = rd(vm, a + u.size, 2)
        else:
            off = u.imm
            sel = u.disp
        if co == CO_JMP_FAR:
            return load_cs(vm, u, sel, off)
        # CALL: check and load the new CS first (a fault leaves everything
        # as it was), then push the return address.
        fl = s.seg[S_CS].sel
        rc = load_cs(vm, u, sel, off)
        if rc != RC_JUMP:
            return rc
        a = s.regs[R_ESP]
        wr(vm, a - u.size + s.seg[S_SS].base, u.size, fl)
        wr(vm, a - 2 * u.size + s.seg[S_SS].base, u.size, u.imm2)
        s.regs[R_ESP] = a - 2 * u.size
        return RC_JUMP
    elif co == CO_RETF:
        a = s.regs[R_ESP] + s.seg[S_SS].base
        off = rd(vm, a, u.size)
        sel = rd(vm, a + u.size, 2)
        rc = load_cs(vm, u, sel, off)
        if rc == RC_JUMP:
            s.regs[R_ESP] += 2 * u.size + u.imm
        return rc
    elif co == CO_IRET:
        # IRET to the same privilege level (no task switch, no V86).
        if s.eflags & F_NT:
            fault(vm, u, FAULT_UNSUPPORTED, 0)
            return RC_EXIT
        a = s.regs[R_ESP] + s.seg[S_SS].base
        off = rd(vm, a, u.size)
        sel = rd(vm, a + u.size, 2)
        fl = rd(vm, a + 2 * u.size, u.size)
        if (sel & 3) != s.cpl:
            fault(vm, u, FAULT_UNSUPPORTED, 1)
            return RC_EXIT
        rc = load_cs(vm, u, sel, off)
        if rc == RC_JUMP:
            s.regs[R_ESP] += 3 * u.size
            write_eflags(s, fl, u.size)
        return rc
    elif co == CO_LAR or co == CO_LSL or co == CO_VERR or co == CO_VERW:
        # Only ZF changes; the destination is written only on success.
        sel = rd(vm, lin_of(vm, u), 2) if u.aux & 1 else rreg(s, u.r2, 2)
        fl = compute_arith(s)
        if not check_selector(vm, sel, co, &off, &v):
            set_arith(s, fl & ~<uint32_t>F_ZF)
            return 0
        set_arith(s, fl | F_ZF)
        if co == CO_LAR:
            wreg(s, u.r1, u.size, v & 0x00F0FF00U)
        elif co == CO_LSL:
            n = (off & 0xFFFF) | (v & 0xF0000)
            if v & 0x800000:
                n = (n << 12) | 0xFFF
            wreg(s, u.r1, u.size, n)
    elif co == CO_SYSENTER:
        if (s.msr_sysenter_cs & 0xFFFC) == 0:
            fault(vm, u, FAULT_GP, 0)
            return RC_EXIT
        # Flat Ring 0 code and stack segments, as SYSENTER defines them.
        sel = <uint32_t>s.msr_sysenter_cs & 0xFFFC
        s.seg[S_CS].sel = <uint16_t>sel
        s.seg[S_CS].base = 0
        s.seg[S_CS].limit = 0xFFFFFFFFU
        s.seg[S_CS].attr = 0xC9B
        s.seg[S_SS].sel = <uint16_t>(sel + 8)
        s.seg[S_SS].base = 0
        s.seg[S_SS].limit = 0xFFFFFFFFU
        s.seg[S_SS].attr = 0xC93
        s.cpl = 0
        update_seg_checks(vm)
        s.eflags &= ~<uint32_t>(F_VM | F_IF | F_RF)
        s.regs[R_ESP] = <uint32_t>s.msr_sysenter_esp
        s.eip = <uint32_t>s.msr_sysenter_eip
        vm.slot = 2
        return RC_JUMP
    elif co == CO_SYSEXIT:
        if s.cpl != 0 or (s.msr_sysenter_cs & 0xFFFC) == 0:
            fault(vm, u, FAULT_GP, 0)
            return RC_EXIT
        fault(vm, u, FAULT_MODE, 3)     # Ring 3 comes with the protected-mode work
        return RC_EXIT
    elif co == CO_INT:
        # INT n, INT3, INTO (only with OF set), INT1: traps, so the return
        # address is the next instruction; the gate's DPL is checked, but
        # not for INT1.
        if u.imm == VEC_OF and not (compute_arith(s) & F_OF):
            return 0
        rc = exception(vm, u.imm, SRC_EXCEPTION if u.imm == 1 else SRC_SOFT, False, 0,
                       u.imm2, u.eip)
        return rc
    elif co == CO_INVD or co == CO_WBINVD or co == CO_INVLPG:
        pass        # no caches to write back; no TLB while paging is off
    elif co == CO_RDMSR:
        return do_rdmsr(vm, u)
    elif co == CO_WRMSR:
        return do_wrmsr(vm, u)
    elif co == CO_RDPMC:
        if s.cpl != 0 and not (s.cr4 & 0x100):
            raise_fault(vm, u, FAULT_GP, 0)
        s.regs[R_EAX] = 0
        s.regs[R_EDX] = 0
    else:
        fault(vm, u, FAULT_UNSUPPORTED, 0)
        return RC_EXIT
    return 0

# ---- EFLAGS as PUSHF/POPF/IRET see it ------------------------------------

cdef inline void write_eflags(CPUState *s, uint32_t v, uint32_t size) noexcept nogil:
    """EFLAGS as POPF and same-level IRET write it: never VM, RF, VIF, VIP;
    IOPL only at CPL 0; IF only when CPL <= IOPL (otherwise both are kept,
    silently: the sensitive-but-unprivileged behaviour bt virtualizes)."""
    cdef uint32_t writable = (F_ARITH | F_TF | F_DF | F_NT | F_AC | F_ID)
    if s.cpl == 0:
        writable |= F_IOPL
    if s.cpl <= (s.eflags & F_IOPL) >> 12:
        writable |= F_IF
    if size == 2:
        writable &= 0xFFFF
    s.eflags = (s.eflags & ~writable) | (v & writable) | 2
    s.cc_op = CC_EFLAGS

cdef inline bint iopl_allows(CPUState *s) noexcept nogil:
    return s.cpl <= (s.eflags & F_IOPL) >> 12

cdef inline bint io_allowed(VM *vm, uint32_t port, uint32_t size) noexcept nogil:
    """IN/OUT/INS/OUTS permission: IOPL, else the TSS I/O permission bitmap."""
    return iopl_allows(&vm.cpu) or io_bitmap_allows(vm, port, size)

cdef bint io_bitmap_allows(VM *vm, uint32_t port, uint32_t size) noexcept nogil:
    cdef CPUState *s = &vm.cpu
    cdef uint32_t base, bits, off
    # The bitmap offset is the word at TSS+0x66; every bit of the access
    # must be clear, and the bytes read must lie within the TSS limit.
    if s.tr.limit < 0x67:
        return False
    base = rd(vm, s.tr.base + 0x66, 2)
    off = base + (port >> 3)
    if off + 1 > s.tr.limit:
        return False
    bits = rd(vm, s.tr.base + off, 2)
    return ((bits >> (port & 7)) & ((1u << size) - 1)) == 0

# Callouts that only Ring 0 may execute (#GP(0) at CPL > 0).
cdef uint8_t CO_PRIVILEGED[CO_COUNT]

cdef void init_privileged() noexcept:
    cdef int co
    for co in range(CO_COUNT):
        CO_PRIVILEGED[co] = 0
    for co in (CO_HLT, CO_LGDT, CO_LIDT, CO_LLDT, CO_LTR, CO_LMSW, CO_CLTS, CO_MOV_TO_CR,
               CO_MOV_FROM_CR, CO_MOV_TO_DR, CO_MOV_FROM_DR, CO_INVD, CO_WBINVD, CO_INVLPG,
               CO_RDMSR, CO_WRMSR, CO_SYSEXIT):
        CO_PRIVILEGED[co] = 1

# ---- model-specific registers ---------------------------------------------

cdef enum:
    MSR_TSC = 0x10
    MSR_APIC_BASE = 0x1B
    MSR_SYSENTER_CS = 0x174
    MSR_SYSENTER_ESP = 0x175
    MSR_SYSENTER_EIP = 0x176
    MSR_MISC_ENABLE = 0x1A0
    MSR_EFER = 0xC0000080U

cdef int do_rdmsr(VM *vm, Uop *u) noexcept nogil:
    cdef CPUState *s = &vm.cpu
    cdef uint32_t idx = s.regs[R_ECX]
    cdef uint64_t v
    if idx == MSR_TSC:
        v = read_tsc(vm)
    elif idx == MSR_APIC_BASE:
        v = s.msr_apic_base
    elif idx == MSR_SYSENTER_CS:
        v = s.msr_sysenter_cs
    elif idx == MSR_SYSENTER_ESP:
        v = s.msr_sysenter_esp
    elif idx == MSR_SYSENTER_EIP:
        v = s.msr_sysenter_eip
    elif idx == MSR_MISC_ENABLE:
        v = s.msr_misc_enable
    elif idx == MSR_EFER:
        v = 0
    else:
        fault(vm, u, FAULT_GP, 0)
        return RC_EXIT
    s.regs[R_EAX] = <uint32_t>v
    s.regs[R_EDX] = <uint32_t>(v >> 32)
    return 0

cdef int do_wrmsr(VM *vm, Uop *u) noexcept nogil:
    cdef CPUState *s = &vm.cpu
    cdef uint32_t idx = s.regs[R_ECX]
    cdef uint64_t v = (<uint64_t>s.regs[R_EDX] << 32) | s.regs[R_EAX]
    if idx == MSR_TSC:
        vm.tsc_base_ns = now_ns() - v
    elif idx == MSR_APIC_BASE:
        s.msr_apic_base = v
    elif idx == MSR_SYSENTER_CS:
        s.msr_sysenter_cs = v & 0xFFFF
    elif idx == MSR_SYSENTER_ESP:
        s.msr_sysenter_esp = v & 0xFFFFFFFFU      # 32-bit MSRs on an i686
    elif idx == MSR_SYSENTER_EIP:
        s.msr_sysenter_eip = v & 0xFFFFFFFFU
    elif idx == MSR_MISC_ENABLE:
        s.msr_misc_enable = v
    elif idx == MSR_EFER and v == 0:
        pass
    else:
        fault(vm, u, FAULT_GP, 0)
        return RC_EXIT
    return 0
