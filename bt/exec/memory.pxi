# Guest memory: one host buffer of ram_size bytes. Paging is off, so a linear
# address is a physical address. Addresses with no RAM behind them read as
# zero and ignore writes (as under QEMU). Every write into a page holding
# translated code goes through smc_check (bt/cache/cache.pxi).

cdef inline uint32_t ea_of(CPUState *s, Uop *u) noexcept nogil:
    """Effective address (offset within the segment) of u's memory operand."""
    return (u.disp + s.regs[u.base] + (s.regs[u.index] << u.scale)) & u.amask

cdef inline uint32_t lin_of(VM *vm, Uop *u) noexcept nogil:
    """Linear address of u's memory operand: segment base + offset, with the
    segment's limit checked unless every segment in use is flat."""
    cdef uint32_t ea = ea_of(&vm.cpu, u)
    if vm.seg_check_mask and (vm.seg_check_mask >> u.seg) & 1:
        check_limit(vm, u, ea)
    return ea + vm.cpu.seg[u.seg].base

cdef void check_limit(VM *vm, Uop *u, uint32_t ea) noexcept nogil:
    check_seg(vm, u, u.seg, ea, u.size if u.size else 1)

cdef void check_seg(VM *vm, Uop *u, uint32_t segi, uint32_t ea, uint32_t size) noexcept nogil:
    """Raise #GP(0) (#SS(0) for SS) if [ea, ea + size) leaves the segment,
    or if the segment register holds a null selector."""
    cdef SegReg *g = &vm.cpu.seg[segi]
    cdef uint32_t last = ea + size - 1
    cdef bint bad
    if (g.sel & 0xFFFC) == 0 and segi != S_CS and g.attr == 0:
        bad = True
    elif (g.attr & 0x1C) == 0x14:       # expand-down data segment
        bad = ea <= g.limit or last > (0xFFFFFFFFU if g.attr & 0x400 else 0xFFFF) or last < ea
    else:
        bad = last > g.limit or last < ea
    if bad:
        raise_fault(vm, u, FAULT_SS if segi == S_SS else FAULT_GP, 0)

cdef inline uint32_t seg_addr(VM *vm, Uop *u, uint32_t segi, uint32_t off, uint32_t size) noexcept nogil:
    """Linear address of segi:off for an access of `size` bytes, limit-checked
    while that segment is not flat (stack and string accesses)."""
    if vm.seg_check_mask and (vm.seg_check_mask >> segi) & 1:
        check_seg(vm, u, segi, off, size)
    return off + vm.cpu.seg[segi].base

cdef void update_seg_checks(VM *vm) noexcept nogil:
    """Recompute which segments need limit checks (the flat ones do not)."""
    cdef uint32_t i, mask = 0
    cdef SegReg *g
    for i in range(6):
        g = &vm.cpu.seg[i]
        if g.limit != 0xFFFFFFFFU or (g.attr & 0x1C) == 0x14 or \
                ((g.sel & 0xFFFC) == 0 and i != S_CS and g.attr == 0):
            mask |= 1u << i
    vm.seg_check_mask = mask

cdef void raise_fault(VM *vm, Uop *u, int code, uint32_t arg) noexcept nogil:
    """Stop the instruction of micro-op u with a fault, from anywhere inside
    its handler: the fast loop resumes at its setjmp and knows from
    vm.cur_uop how far the block got."""
    vm.cur_uop = u
    vm.exit_reason = EXIT_FAULT
    vm.fault_code = code
    vm.fault_eip = vm.cur_uop.eip
    vm.fault_arg = arg
    vm.cpu.eip = vm.cur_uop.eip
    longjmp(vm.fault_jmp, 1)

cdef inline uint8_t *reg_ptr(CPUState *s, uint32_t off) noexcept nogil:
    return (<uint8_t *>s.regs) + off

cdef inline uint32_t rreg(CPUState *s, uint32_t off, uint32_t size) noexcept nogil:
    cdef uint8_t *p = reg_ptr(s, off)
    if size == 4:
        return (<uint32_t *>p)[0]
    if size == 2:
        return (<uint16_t *>p)[0]
    return p[0]

cdef inline void wreg(CPUState *s, uint32_t off, uint32_t size, uint32_t v) noexcept nogil:
    cdef uint8_t *p = reg_ptr(s, off)
    if size == 4:
        (<uint32_t *>p)[0] = v
    elif size == 2:
        (<uint16_t *>p)[0] = <uint16_t>v
    else:
        p[0] = <uint8_t>v

cdef uint32_t rd_slow(VM *vm, uint32_t a, uint32_t size) noexcept nogil:
    cdef uint32_t v = 0, i, p
    for i in range(size):
        p = a + i
        if p < vm.ram_size:
            v |= (<uint32_t>vm.ram[p]) << (8 * i)
    return v

cdef inline uint32_t rd(VM *vm, uint32_t a, uint32_t size) noexcept nogil:
    if a <= vm.ram_size - 4:
        if size == 4:
            return (<uint32_t *>(vm.ram + a))[0]
        if size == 2:
            return (<uint16_t *>(vm.ram + a))[0]
        return vm.ram[a]
    return rd_slow(vm, a, size)

cdef inline uint32_t rd32(VM *vm, uint32_t a) noexcept nogil:
    if a <= vm.ram_size - 4:
        return (<uint32_t *>(vm.ram + a))[0]
    return rd_slow(vm, a, 4)

cdef int wr_slow(VM *vm, uint32_t a, uint32_t size, uint32_t v) noexcept nogil:
    cdef uint32_t i, p
    for i in range(size):
        p = a + i
        if p < vm.ram_size:
            if vm.cache.code_pages[p >> 12]:
                smc_check(vm, p, 1)
            vm.ram[p] = <uint8_t>(v >> (8 * i))
    return vm.smc_hit

cdef inline int wr(VM *vm, uint32_t a, uint32_t size, uint32_t v) noexcept nogil:
    """Store; returns RC_SMC if the store hit the running block, else 0."""
    if a <= vm.ram_size - 4:
        if vm.cache.code_pages[a >> 12] | vm.cache.code_pages[(a + size - 1) >> 12]:
            smc_check(vm, a, size)
        if size == 4:
            (<uint32_t *>(vm.ram + a))[0] = v
        elif size == 2:
            (<uint16_t *>(vm.ram + a))[0] = <uint16_t>v
        else:
            vm.ram[a] = <uint8_t>v
        return vm.smc_hit
    return wr_slow(vm, a, size, v)

cdef inline int wr32(VM *vm, uint32_t a, uint32_t v) noexcept nogil:
    if a <= vm.ram_size - 4:
        if vm.cache.code_pages[a >> 12] | vm.cache.code_pages[(a + 3) >> 12]:
            smc_check(vm, a, 4)
        (<uint32_t *>(vm.ram + a))[0] = v
        return vm.smc_hit
    return wr_slow(vm, a, 4, v)

# The stack: SS:ESP, 32-bit stack pointer (a 16-bit SS is a later issue).
# A limit fault leaves ESP unchanged: the address is checked first.
cdef inline int push(VM *vm, Uop *u, uint32_t size, uint32_t v) noexcept nogil:
    cdef uint32_t sp = vm.cpu.regs[R_ESP] - size
    cdef uint32_t a = seg_addr(vm, u, S_SS, sp, size)
    vm.cpu.regs[R_ESP] = sp
    return wr(vm, a, size, v)

cdef inline uint32_t pop(VM *vm, Uop *u, uint32_t size) noexcept nogil:
    cdef uint32_t sp = vm.cpu.regs[R_ESP]
    cdef uint32_t v = rd(vm, seg_addr(vm, u, S_SS, sp, size), size)
    vm.cpu.regs[R_ESP] = sp + size
    return v
