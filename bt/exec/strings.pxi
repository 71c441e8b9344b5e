# String instructions (MOVS STOS LODS CMPS SCAS INS OUTS) with REP prefixes.
# A REP runs to completion inside one micro-op; bulk forward copies and fills
# that stay inside RAM and away from translated code take a memcpy/memset
# fast path.

cdef inline bint plain_ram(VM *vm, uint32_t a, uint32_t n) noexcept nogil:
    """[a, a+n) lies in RAM and holds no translated code."""
    cdef uint32_t p
    if n == 0 or a > vm.ram_size or n > vm.ram_size - a:
        return False
    for p in range(a >> 12, ((a + n - 1) >> 12) + 1):
        if vm.cache.code_pages[p]:
            return False
    return True

cdef int string_fast(VM *vm, Uop *u) noexcept nogil:
    """REP MOVS/STOS forward bulk path. Returns 1 if it did the whole job."""
    cdef CPUState *s = &vm.cpu
    cdef uint32_t n = s.regs[R_ECX]
    cdef uint32_t size = u.size
    cdef uint32_t bytes_, dst, src, i
    if s.eflags & F_DF or n == 0 or n > 0x3FFFFFFF or vm.seg_check_mask:
        return 0
    bytes_ = n * size
    dst = s.regs[R_EDI] + s.seg[S_ES].base
    if not plain_ram(vm, dst, bytes_):
        return 0
    if u.sub == STR_STOS:
        if size == 1:
            memset(vm.ram + dst, <int>(s.regs[R_EAX] & 0xFF), bytes_)
        elif size == 4:
            for i in range(n):
                (<uint32_t *>(vm.ram + dst))[i] = s.regs[R_EAX]
        else:
            for i in range(n):
                (<uint16_t *>(vm.ram + dst))[i] = <uint16_t>s.regs[R_EAX]
    else:
        src = s.regs[R_ESI] + s.seg[u.seg].base
        if src > vm.ram_size or bytes_ > vm.ram_size - src:
            return 0
        # Overlap with dst just above src replicates the pattern on x86: keep it exact.
        if dst > src and dst < src + bytes_:
            return 0
        memmove(vm.ram + dst, vm.ram + src, bytes_)
        s.regs[R_ESI] += bytes_
    s.regs[R_EDI] += bytes_
    s.regs[R_ECX] = 0
    return 1

cdef enum:
    # Iterations a REP runs before it yields to the loop (as hardware takes
    # interrupts between iterations): budgets and stops stay responsive.
    REP_CHUNK = 4096

cdef int string_op(VM *vm, Uop *u) noexcept nogil:
    """One string micro-op; returns 0, RC_SMC, or RC_JUMP to re-execute the
    same instruction when a long REP yields after REP_CHUNK iterations.
    Every iteration beyond the first counts as an executed instruction."""
    cdef CPUState *s = &vm.cpu
    cdef uint32_t size = u.size
    cdef uint32_t step = size
    cdef uint32_t op = u.sub
    cdef uint32_t rep = u.aux
    cdef uint32_t a, b, v
    cdef uint32_t port = s.regs[R_EDX] & 0xFFFF
    cdef int rc = 0
    cdef uint32_t iters = 0
    if s.eflags & F_DF:
        step = <uint32_t>(-<int32_t>size)
    if rep != REP_NONE:
        if (op == STR_MOVS or op == STR_STOS) and string_fast(vm, u):
            return 0
        if s.regs[R_ECX] == 0:
            return 0
    while True:
        if op == STR_MOVS:
            v = rd(vm, seg_addr(vm, u, u.seg, s.regs[R_ESI], size), size)
            rc |= wr(vm, seg_addr(vm, u, S_ES, s.regs[R_EDI], size), size, v)
            s.regs[R_ESI] += step
            s.regs[R_EDI] += step
        elif op == STR_STOS:
            rc |= wr(vm, seg_addr(vm, u, S_ES, s.regs[R_EDI], size), size, s.regs[R_EAX])
            s.regs[R_EDI] += step
        elif op == STR_LODS:
            wreg(s, 0, size, rd(vm, seg_addr(vm, u, u.seg, s.regs[R_ESI], size), size))
            s.regs[R_ESI] += step
        elif op == STR_CMPS:
            a = rd(vm, seg_addr(vm, u, u.seg, s.regs[R_ESI], size), size)
            b = rd(vm, seg_addr(vm, u, S_ES, s.regs[R_EDI], size), size)
            alu(s, ALU_CMP, size, a, b)
            s.regs[R_ESI] += step
            s.regs[R_EDI] += step
        elif op == STR_SCAS:
            b = rd(vm, seg_addr(vm, u, S_ES, s.regs[R_EDI], size), size)
            alu(s, ALU_CMP, size, s.regs[R_EAX] & size_mask(size), b)
            s.regs[R_EDI] += step
        elif op == STR_INS:
            v = port_in(vm, port, size)
            rc |= wr(vm, seg_addr(vm, u, S_ES, s.regs[R_EDI], size), size, v)
            s.regs[R_EDI] += step
        else:
            v = rd(vm, seg_addr(vm, u, u.seg, s.regs[R_ESI], size), size)
            port_out(vm, port, size, v)
            s.regs[R_ESI] += step
        if rep == REP_NONE:
            break
        s.regs[R_ECX] -= 1
        iters += 1
        if s.regs[R_ECX] == 0:
            break
        if op == STR_CMPS or op == STR_SCAS:
            if rep == REP_REPE and not test_cond(s, 4):      # stop when ZF = 0
                break
            if rep == REP_REPNE and test_cond(s, 4):         # stop when ZF = 1
                break
        if vm.stop_request:
            # A device asked to stop (e.g. debug exit) in the middle of a REP
            # INS/OUTS: the caller leaves EIP on this instruction so that a
            # resumed run finishes the remaining iterations.
            break
        if iters >= REP_CHUNK:
            vm.budget -= iters - 1
            s.eip = u.eip
            vm.slot = 2
            return RC_JUMP
    if iters > 1:
        vm.budget -= iters - 1
    return rc
