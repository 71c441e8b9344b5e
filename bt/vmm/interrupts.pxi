# Exception and interrupt delivery through the guest's IDT.
#
# Every fault a callout or a memory access raises comes here (from the fast
# loop's setjmp, or from INT n directly): the gate is read from the IDT,
# checked, and EFLAGS, CS, EIP (and an error code) are pushed as the SDM
# describes. A fault while delivering a contributory fault becomes #DF; a
# fault while delivering #DF is a triple fault, which stops the run.
# Interrupt and trap gates at the same privilege level are supported; a
# task gate, or a gate into a more privileged ring, stops with a clear
# message until rings and task switching exist.

cdef enum:
    SRC_EXCEPTION = 0    # a fault or trap the CPU raised
    SRC_SOFT = 1         # INT n, INT3, INTO: the gate's DPL is checked
    SRC_EXTERNAL = 2     # a hardware interrupt (EXT bit in nested error codes)

cdef enum:
    VEC_DE = 0
    VEC_DB = 1
    VEC_BP = 3
    VEC_OF = 4
    VEC_BR = 5
    VEC_UD = 6
    VEC_DF = 8
    VEC_TS = 10
    VEC_NP = 11
    VEC_SS = 12
    VEC_GP = 13
    VEC_PF = 14

cdef enum:
    DELIVERED = 0
    NESTED = 1           # another exception was raised while delivering
    UNSUPPORTED = 2      # a task gate or a ring change: stop

cdef inline bint contributory(uint32_t v) noexcept nogil:
    return v == VEC_DE or v == VEC_TS or v == VEC_NP or v == VEC_SS or v == VEC_GP

cdef inline bint has_error_code(uint32_t v) noexcept nogil:
    return v == VEC_DF or v == VEC_TS or v == VEC_NP or v == VEC_SS or v == VEC_GP \
        or v == VEC_PF or v == 17

cdef int deliver(VM *vm, uint32_t vec, int src, bint has_err, uint32_t err,
                 uint32_t ret_eip, uint32_t *nvec, uint32_t *nerr) noexcept nogil:
    """Deliver one interrupt through the IDT. On NESTED, *nvec and *nerr
    name the exception raised on the way (nothing has been changed)."""
    cdef CPUState *s = &vm.cpu
    cdef uint32_t ext = 1 if src == SRC_EXTERNAL else 0
    cdef uint32_t lo, hi, typ, dpl, sel, off, size, esp, new_esp, n, a
    cdef SegReg d
    cdef uint32_t idt_err = vec * 8 + 2 + ext
    nerr[0] = 0
    if vec * 8 + 7 > s.idt_limit:
        nvec[0] = VEC_GP
        nerr[0] = idt_err
        return NESTED
    lo = rd32(vm, s.idt_base + vec * 8)
    hi = rd32(vm, s.idt_base + vec * 8 + 4)
    typ = (hi >> 8) & 0x1F
    dpl = (hi >> 13) & 3
    if typ == 0x05 and hi & 0x8000:
        vm.fault_arg = 1
        return UNSUPPORTED
    if typ != 0x0E and typ != 0x0F and typ != 0x06 and typ != 0x07:
        nvec[0] = VEC_GP
        nerr[0] = idt_err
        return NESTED
    if src == SRC_SOFT and dpl < s.cpl:
        nvec[0] = VEC_GP
        nerr[0] = idt_err
        return NESTED
    if not (hi & 0x8000):
        nvec[0] = VEC_NP
        nerr[0] = idt_err
        return NESTED
    sel = lo >> 16
    off = (lo & 0xFFFF) | (hi & 0xFFFF0000U)
    size = 4 if typ & 0x08 else 2
    if size == 2:
        off &= 0xFFFF
    if (sel & 0xFFFC) == 0:
        nvec[0] = VEC_GP
        nerr[0] = ext
        return NESTED
    if read_descriptor(vm, sel, &d) < 0 or (d.attr & 0x18) != 0x18 or \
            ((d.attr >> 5) & 3) > s.cpl:
        nvec[0] = VEC_GP
        nerr[0] = (sel & 0xFFFC) | ext
        return NESTED
    if not (d.attr & 0x80):
        nvec[0] = VEC_NP
        nerr[0] = (sel & 0xFFFC) | ext
        return NESTED
    if not (d.attr & 0x04) and ((d.attr >> 5) & 3) < s.cpl:
        vm.fault_arg = 2        # a ring change: needs the TSS stack switch
        return UNSUPPORTED
    # Push EFLAGS, CS, EIP and the error code on the current stack.
    n = 4 if has_err else 3
    esp = s.regs[R_ESP]
    new_esp = esp - n * size
    if vm.seg_check_mask and (vm.seg_check_mask >> S_SS) & 1:
        if not stack_fits(vm, new_esp, n * size):
            nvec[0] = VEC_SS
            nerr[0] = ext
            return NESTED
    a = new_esp + s.seg[S_SS].base
    if has_err:
        wr(vm, a, size, err)
        a += size
    wr(vm, a, size, ret_eip)
    wr(vm, a + size, size, s.seg[S_CS].sel)
    wr(vm, a + 2 * size, size, get_eflags(s) & ~<uint32_t>F_RF)
    s.regs[R_ESP] = new_esp
    s.eflags &= ~<uint32_t>(F_TF | F_NT | F_RF | F_VM)
    if not (typ & 1):
        s.eflags &= ~<uint32_t>F_IF         # interrupt gate; a trap gate keeps IF
    mark_accessed(vm, sel)
    d.attr |= 1
    d.sel = <uint16_t>((sel & 0xFFFC) | s.cpl)
    s.seg[S_CS] = d
    update_seg_checks(vm)
    s.eip = off
    return DELIVERED

cdef bint stack_fits(VM *vm, uint32_t esp, uint32_t n) noexcept nogil:
    cdef SegReg *g = &vm.cpu.seg[S_SS]
    cdef uint32_t last = esp + n - 1
    if (g.attr & 0x1C) == 0x14:
        return esp > g.limit and last >= esp
    return last <= g.limit and last >= esp

cdef int exception(VM *vm, uint32_t vec, int src, bint has_err, uint32_t err,
                   uint32_t ret_eip, uint32_t at_eip) noexcept nogil:
    """Deliver `vec`, turning faults on the way into #DF and a fault while
    delivering #DF into a triple fault. Returns RC_JUMP, or RC_EXIT with
    the run stopped (triple fault, unsupported gate)."""
    cdef uint32_t nvec = 0, nerr = 0, tries
    cdef int r
    vm.first_vector = vec
    vm.first_eip = at_eip
    vm.first_err = err if has_err else 0xFFFFFFFFU
    vm.first_src = src
    for tries in range(4):
        r = deliver(vm, vec, src, has_err, err, ret_eip, &nvec, &nerr)
        if r == DELIVERED:
            vm.n_exceptions += 1
            vm.slot = 2
            return RC_JUMP
        if r == UNSUPPORTED:
            # Report the exception whose gate it was (perhaps a nested one).
            vm.first_vector = vec
            vm.first_err = err if has_err else 0xFFFFFFFFU
            vm.first_src = src
            vm.exit_reason = EXIT_FAULT
            vm.fault_code = FAULT_GATE
            vm.fault_eip = at_eip
            vm.cpu.eip = at_eip
            return RC_EXIT
        # A fault while delivering: #DF, a triple fault, or the new one.
        if vec == VEC_DF:
            break
        if (contributory(vec) or vec == VEC_PF) and (contributory(nvec) or
                                                     (vec == VEC_PF and nvec == VEC_PF)):
            vec = VEC_DF
            err = 0
        else:
            vec = nvec
            err = nerr
        has_err = has_error_code(vec)
        src = SRC_EXCEPTION
        ret_eip = at_eip
    vm.exit_reason = EXIT_FAULT
    vm.fault_code = FAULT_TRIPLE
    vm.fault_eip = at_eip
    vm.cpu.eip = at_eip
    return RC_EXIT

cdef int fault_vector(int code, uint32_t *vec) noexcept nogil:
    """The exception vector of an architectural fault code (-1: not one)."""
    if code == FAULT_DE:
        vec[0] = VEC_DE
    elif code == FAULT_UD:
        vec[0] = VEC_UD
    elif code == FAULT_GP:
        vec[0] = VEC_GP
    elif code == FAULT_SS:
        vec[0] = VEC_SS
    elif code == FAULT_NP:
        vec[0] = VEC_NP
    elif code == FAULT_BR:
        vec[0] = VEC_BR
    else:
        return -1
    return 0

cdef int take_fault(VM *vm) noexcept nogil:
    """After raise_fault(): deliver the fault the instruction at vm.cur_uop
    raised, or stop if it is not an architectural one."""
    cdef uint32_t vec
    if fault_vector(vm.fault_code, &vec) < 0:
        return RC_EXIT
    vm.exit_reason = EXIT_NONE
    return exception(vm, vec, SRC_EXCEPTION, has_error_code(vec), vm.fault_arg,
                     vm.fault_eip, vm.fault_eip)

cdef int take_interrupt(VM *vm) noexcept nogil:
    """Acknowledge the interrupt controller (INTA, in Python) and deliver
    the vector it answers. Returns RC_JUMP, RC_NEXT (nothing to take after
    all) or RC_EXIT."""
    cdef int vec = -1
    with gil:
        try:
            vec = (<object>vm.owner)._intr_acknowledge()
        except BaseException as e:
            (<object>vm.owner)._pending_exc = e
            vm.stop_request = 1
            vec = -1
    if vec < 0:
        return RC_EXIT if vm.stop_request else RC_NEXT
    vm.n_interrupts += 1
    return exception(vm, <uint32_t>vec & 0xFF, SRC_EXTERNAL, False, 0, vm.cpu.eip, vm.cpu.eip)
