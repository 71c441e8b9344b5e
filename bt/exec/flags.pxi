# Lazy EFLAGS. An arithmetic micro-op records its operation, operands and
# result (cc_op, cc_a, cc_b, cc_res); a flag is computed only when something
# reads it: a conditional jump, PUSHF, ADC. For the common CMP/SUB and
# logic-then-branch pairs the condition is decided from the operands
# directly, without building EFLAGS.

cdef uint8_t PARITY[256]

cdef void init_parity() noexcept:
    cdef int i, v, bits
    for i in range(256):
        v = i
        bits = 0
        while v:
            bits += v & 1
            v >>= 1
        PARITY[i] = F_PF if (bits & 1) == 0 else 0

cdef inline uint32_t size_mask(uint32_t size) noexcept nogil:
    if size == 4:
        return 0xFFFFFFFFU
    return (1u << (size * 8)) - 1

cdef inline uint32_t size_msb(uint32_t size) noexcept nogil:
    return 1u << (size * 8 - 1)

cdef inline void set_cc(CPUState *s, uint32_t op, uint32_t size, uint32_t a,
                        uint32_t b, uint32_t res) noexcept nogil:
    s.cc_op = op | (size << CC_SIZE_SHIFT)
    s.cc_a = a
    s.cc_b = b
    s.cc_res = res

cdef inline uint32_t compute_arith(CPUState *s) noexcept nogil:
    """The arithmetic flags (F_ARITH bits) from the lazy record."""
    cdef uint32_t op = s.cc_op & CC_KIND_MASK
    cdef uint32_t size = s.cc_op >> CC_SIZE_SHIFT
    if op == CC_EFLAGS:
        return s.eflags & F_ARITH
    cdef uint32_t msb = size_msb(size)
    cdef uint32_t mask = size_mask(size)
    cdef uint32_t res = s.cc_res & mask
    cdef uint32_t a = s.cc_a
    cdef uint32_t b = s.cc_b
    cdef uint32_t f = PARITY[res & 0xFF]
    if res == 0:
        f |= F_ZF
    if res & msb:
        f |= F_SF
    if op == CC_ADD:
        if ((a & b) | ((a | b) & ~res)) & msb:
            f |= F_CF
        if ((a ^ res) & (b ^ res)) & msb:
            f |= F_OF
        f |= (a ^ b ^ res) & F_AF
    elif op == CC_SUB or op == CC_SBB:
        if ((~a & b) | ((~a | b) & res)) & msb:
            f |= F_CF
        if ((a ^ b) & (a ^ res)) & msb:
            f |= F_OF
        f |= (a ^ b ^ res) & F_AF
    elif op == CC_INC:
        f |= s.cc_aux & F_CF
        if res == msb:
            f |= F_OF
        if (res & 0xF) == 0:
            f |= F_AF
    elif op == CC_DEC:
        f |= s.cc_aux & F_CF
        if res == msb - 1:
            f |= F_OF
        if (res & 0xF) == 0xF:
            f |= F_AF
    elif op == CC_SHIFT:
        f |= s.cc_aux & (F_CF | F_OF | F_AF)
    elif op == CC_MUL:
        if s.cc_aux:
            f |= F_CF | F_OF
    return f

cdef inline uint32_t get_eflags(CPUState *s) noexcept nogil:
    return (s.eflags & ~<uint32_t>F_ARITH) | compute_arith(s) | 2

cdef inline void set_arith(CPUState *s, uint32_t f) noexcept nogil:
    """Materialise the arithmetic flags as `f` (only F_ARITH bits are used)."""
    s.eflags = (s.eflags & ~<uint32_t>F_ARITH) | (f & F_ARITH)
    s.cc_op = CC_EFLAGS

cdef inline uint32_t get_cf(CPUState *s) noexcept nogil:
    cdef uint32_t op = s.cc_op & CC_KIND_MASK
    cdef uint32_t mask
    if s.cc_op == CC_SUB32:
        return s.cc_a < s.cc_b
    if op == CC_INC or op == CC_DEC or op == CC_SHIFT:
        return s.cc_aux & F_CF
    if op == CC_SUB:
        mask = size_mask(s.cc_op >> CC_SIZE_SHIFT)
        return (s.cc_a & mask) < (s.cc_b & mask)
    if op == CC_LOGIC:
        return 0
    return compute_arith(s) & F_CF

cdef inline bint test_cond(CPUState *s, uint32_t cc) noexcept nogil:
    """Evaluate x86 condition code cc (0=O 1=NO 2=B 3=AE ... 15=G)."""
    cdef uint32_t a, b, r, f
    cdef bint v
    cdef uint32_t kind = cc >> 1
    if s.cc_op == CC_SUB32:
        a = s.cc_a
        b = s.cc_b
        if kind == 1:
            return (a < b) ^ (cc & 1)
        elif kind == 2:
            return (a == b) ^ (cc & 1)
        elif kind == 3:
            return (a <= b) ^ (cc & 1)
        elif kind == 6:
            return (<int32_t>a < <int32_t>b) ^ (cc & 1)
        elif kind == 7:
            return (<int32_t>a <= <int32_t>b) ^ (cc & 1)
    elif s.cc_op == CC_LOGIC32:
        r = s.cc_res
        if kind == 2:
            return (r == 0) ^ (cc & 1)
        elif kind == 4 or kind == 6:
            return (<int32_t>r < 0) ^ (cc & 1)
        elif kind == 7:
            return (<int32_t>r <= 0) ^ (cc & 1)
        elif kind == 1 or kind == 0:
            return cc & 1
        elif kind == 3:
            return (r == 0) ^ (cc & 1)
    f = compute_arith(s)
    if kind == 0:
        v = (f & F_OF) != 0
    elif kind == 1:
        v = (f & F_CF) != 0
    elif kind == 2:
        v = (f & F_ZF) != 0
    elif kind == 3:
        v = (f & (F_CF | F_ZF)) != 0
    elif kind == 4:
        v = (f & F_SF) != 0
    elif kind == 5:
        v = (f & F_PF) != 0
    elif kind == 6:
        v = ((f & F_SF) != 0) != ((f & F_OF) != 0)
    else:
        v = ((f & F_ZF) != 0) or (((f & F_SF) != 0) != ((f & F_OF) != 0))
    return v ^ (cc & 1)
