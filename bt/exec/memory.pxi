# Guest memory: one host buffer of ram_size bytes. Paging is off, so a linear
# address is a physical address. Addresses with no RAM behind them read as
# zero and ignore writes (as under QEMU). Every write into a page holding
# translated code goes through smc_check (bt/cache/cache.pxi).

cdef inline uint32_t ea_of(CPUState *s, Uop *u) noexcept nogil:
    """Effective address (offset within the segment) of u's memory operand."""
    return (u.disp + s.regs[u.base] + (s.regs[u.index] << u.scale)) & u.amask

cdef inline uint32_t lin_of(CPUState *s, Uop *u) noexcept nogil:
    return ea_of(s, u) + s.seg[u.seg].base

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
cdef inline int push(VM *vm, uint32_t size, uint32_t v) noexcept nogil:
    cdef uint32_t sp = vm.cpu.regs[R_ESP] - size
    vm.cpu.regs[R_ESP] = sp
    return wr(vm, sp + vm.cpu.seg[S_SS].base, size, v)

cdef inline uint32_t pop(VM *vm, uint32_t size) noexcept nogil:
    cdef uint32_t sp = vm.cpu.regs[R_ESP]
    cdef uint32_t v = rd(vm, sp + vm.cpu.seg[S_SS].base, size)
    vm.cpu.regs[R_ESP] = sp + size
    return v
