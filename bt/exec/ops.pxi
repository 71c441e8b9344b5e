# Semantics of the integer instructions, as inline helpers the fast loop
# calls. Each follows the Intel SDM; where the SDM leaves a flag undefined
# the choice is noted (the tests mask those flags).

cdef inline uint32_t alu(CPUState *s, uint32_t op, uint32_t size, uint32_t a, uint32_t b) noexcept nogil:
    """Two-operand ALU: returns the result (masked); sets the lazy flags."""
    cdef uint32_t mask = size_mask(size)
    cdef uint32_t r, c
    if op == ALU_ADD:
        r = (a + b) & mask
        set_cc(s, CC_ADD, size, a, b, r)
    elif op == ALU_OR:
        r = a | b
        set_cc(s, CC_LOGIC, size, a, b, r)
    elif op == ALU_ADC:
        c = get_cf(s)
        r = (a + b + c) & mask
        set_cc(s, CC_ADD, size, a, b, r)
    elif op == ALU_SBB:
        c = get_cf(s)
        r = (a - b - c) & mask
        set_cc(s, CC_SBB, size, a, b, r)
    elif op == ALU_AND or op == ALU_TEST:
        r = a & b
        set_cc(s, CC_LOGIC, size, a, b, r)
    elif op == ALU_XOR:
        r = a ^ b
        set_cc(s, CC_LOGIC, size, a, b, r)
    else:  # SUB, CMP
        r = (a - b) & mask
        set_cc(s, CC_SUB, size, a, b, r)
    return r

cdef inline uint32_t unary(CPUState *s, uint32_t op, uint32_t size, uint32_t a) noexcept nogil:
    cdef uint32_t mask = size_mask(size)
    cdef uint32_t r
    if op == UN_INC:
        s.cc_aux = get_cf(s)
        r = (a + 1) & mask
        set_cc(s, CC_INC, size, a, 1, r)
    elif op == UN_DEC:
        s.cc_aux = get_cf(s)
        r = (a - 1) & mask
        set_cc(s, CC_DEC, size, a, 1, r)
    elif op == UN_NEG:
        r = (0 - a) & mask
        set_cc(s, CC_SUB, size, 0, a, r)
    else:
        r = (~a) & mask
    return r

cdef inline uint32_t shift(CPUState *s, uint32_t op, uint32_t size, uint32_t a, uint32_t count) noexcept nogil:
    """Shifts and rotates. A masked count of 0 changes nothing, flags included."""
    cdef uint32_t bits = size * 8
    cdef uint32_t mask = size_mask(size)
    cdef uint32_t msb = size_msb(size)
    cdef uint32_t c = count & 31
    cdef uint32_t r, cf, of, f
    cdef uint64_t x
    if c == 0:
        return a
    if op == SH_SHL:
        r = ((<uint64_t>a << c) & mask) if c < 32 else 0
        cf = ((<uint64_t>a << (c - 1)) & msb) != 0
        of = ((r & msb) != 0) ^ cf
        s.cc_aux = cf | (of << 11)
        set_cc(s, CC_SHIFT, size, a, c, r)
        return r
    if op == SH_SHR:
        r = a >> c
        cf = (a >> (c - 1)) & 1
        of = (a & msb) != 0
        s.cc_aux = cf | (of << 11)
        set_cc(s, CC_SHIFT, size, a, c, r)
        return r
    if op == SH_SAR:
        x = <uint64_t><int64_t>(<int32_t>(a << (32 - bits)) >> (32 - bits))
        r = <uint32_t>(<int64_t>x >> c) & mask
        cf = (<int64_t>x >> (c - 1)) & 1
        s.cc_aux = cf
        set_cc(s, CC_SHIFT, size, a, c, r)
        return r
    # Rotates change only CF and OF; the other flags are materialised first.
    f = compute_arith(s)
    if op == SH_ROL:
        c = c & (bits - 1)
        r = ((a << c) | (a >> (bits - c))) & mask if c else a
        cf = r & 1
        of = ((r & msb) != 0) ^ cf
    elif op == SH_ROR:
        c = c & (bits - 1)
        r = ((a >> c) | (a << (bits - c))) & mask if c else a
        cf = (r & msb) != 0
        of = ((r & msb) != 0) ^ ((r & (msb >> 1)) != 0)
    else:
        c = c % (bits + 1)
        cf = f & F_CF
        if c == 0:
            return a
        x = (<uint64_t>cf << bits) | a
        if op == SH_RCL:
            x = ((x << c) | (x >> (bits + 1 - c))) & ((<uint64_t>1 << (bits + 1)) - 1)
            r = <uint32_t>(x & mask)
            cf = <uint32_t>(x >> bits) & 1
            of = ((r & msb) != 0) ^ cf
        else:
            of = ((a & msb) != 0) ^ cf
            x = ((x >> c) | (x << (bits + 1 - c))) & ((<uint64_t>1 << (bits + 1)) - 1)
            r = <uint32_t>(x & mask)
            cf = <uint32_t>(x >> bits) & 1
    f = (f & ~<uint32_t>(F_CF | F_OF)) | cf | (of << 11)
    set_arith(s, f)
    return r

cdef inline uint32_t shift_double(CPUState *s, bint right, uint32_t size, uint32_t d,
                                  uint32_t src, uint32_t count) noexcept nogil:
    """SHLD/SHRD. Counts above the operand size (16-bit only) are undefined."""
    cdef uint32_t c = count & 31
    cdef uint32_t msb = size_msb(size)
    cdef uint64_t x
    cdef uint32_t r, cf, of
    if c == 0:
        return d
    if size == 4:
        if right:
            x = (<uint64_t>src << 32) | d
            r = <uint32_t>(x >> c)
            cf = (x >> (c - 1)) & 1
        else:
            x = (<uint64_t>d << 32) | src
            r = <uint32_t>((x << c) >> 32)
            cf = (x >> (64 - c)) & 1
    else:
        if right:
            x = <uint64_t>d | (<uint64_t>src << 16) | (<uint64_t>d << 32)
            r = <uint32_t>(x >> c) & 0xFFFF
            cf = (x >> (c - 1)) & 1
        else:
            x = (<uint64_t>d << 32) | (<uint64_t>src << 16) | d
            r = <uint32_t>((x << c) >> 32) & 0xFFFF
            cf = ((x << (c - 1)) >> 47) & 1
    of = ((r ^ d) & msb) != 0
    s.cc_aux = cf | (of << 11)
    set_cc(s, CC_SHIFT, size, d, c, r)
    return r

cdef inline void set_mul_flags(CPUState *s, uint32_t size, uint32_t low, bint overflow) noexcept nogil:
    # SF, ZF, AF, PF are undefined after MUL/IMUL: they follow the low half.
    s.cc_aux = overflow
    set_cc(s, CC_MUL, size, 0, 0, low)

cdef inline uint32_t sext(uint32_t v, uint32_t size) noexcept nogil:
    if size == 1:
        return <uint32_t><int32_t><int8_t>v
    if size == 2:
        return <uint32_t><int32_t><int16_t>v
    return v

cdef int muldiv(VM *vm, Uop *u, uint32_t src) noexcept nogil:
    """One-operand MUL/IMUL/DIV/IDIV on the accumulator. Returns 1 on #DE."""
    cdef CPUState *s = &vm.cpu
    cdef uint32_t size = u.size
    cdef uint64_t p, dvd, q, rem
    cdef int64_t sp, sdvd, sq, srem, sdiv
    cdef uint32_t lo, hi
    cdef uint32_t *R = s.regs
    if u.sub == MD_MUL:
        if size == 1:
            p = (R[0] & 0xFF) * src
            wreg(s, 0, 2, <uint32_t>p)
            set_mul_flags(s, 1, <uint32_t>p, (p >> 8) != 0)
        elif size == 2:
            p = (R[0] & 0xFFFF) * src
            wreg(s, 0, 2, <uint32_t>p)
            wreg(s, 8, 2, <uint32_t>(p >> 16))
            set_mul_flags(s, 2, <uint32_t>p, (p >> 16) != 0)
        else:
            p = <uint64_t>R[0] * src
            R[0] = <uint32_t>p
            R[2] = <uint32_t>(p >> 32)
            set_mul_flags(s, 4, <uint32_t>p, (p >> 32) != 0)
        return 0
    if u.sub == MD_IMUL:
        if size == 1:
            sp = <int64_t><int8_t>R[0] * <int8_t>src
            wreg(s, 0, 2, <uint32_t>sp)
            set_mul_flags(s, 1, <uint32_t>sp, sp != <int8_t>sp)
        elif size == 2:
            sp = <int64_t><int16_t>R[0] * <int16_t>src
            wreg(s, 0, 2, <uint32_t>sp)
            wreg(s, 8, 2, <uint32_t>(sp >> 16))
            set_mul_flags(s, 2, <uint32_t>sp, sp != <int16_t>sp)
        else:
            sp = <int64_t><int32_t>R[0] * <int32_t>src
            R[0] = <uint32_t>sp
            R[2] = <uint32_t>(<uint64_t>sp >> 32)
            set_mul_flags(s, 4, <uint32_t>sp, sp != <int32_t>sp)
        return 0
    if src == 0:
        return 1
    # DIV and IDIV leave all arithmetic flags undefined: they are left unchanged.
    if u.sub == MD_DIV:
        if size == 1:
            dvd = R[0] & 0xFFFF
        elif size == 2:
            dvd = (R[0] & 0xFFFF) | ((R[2] & 0xFFFF) << 16)
        else:
            dvd = (<uint64_t>R[2] << 32) | R[0]
        q = dvd // src
        rem = dvd % src
        if q > size_mask(size):
            return 1
        lo = <uint32_t>q
        hi = <uint32_t>rem
    else:
        sdiv = <int32_t>sext(src, size)
        if size == 1:
            sdvd = <int16_t>R[0]
        elif size == 2:
            sdvd = <int32_t>((R[0] & 0xFFFF) | ((R[2] & 0xFFFF) << 16))
        else:
            sdvd = <int64_t>((<uint64_t>R[2] << 32) | R[0])
        if sdvd == INT64_MIN and sdiv == -1:
            return 1
        sq = sdvd // sdiv
        srem = sdvd % sdiv
        # C division truncates toward zero, as IDIV does; Cython's cdivision is on.
        if size == 1 and (sq > 127 or sq < -128):
            return 1
        if size == 2 and (sq > 32767 or sq < -32768):
            return 1
        if size == 4 and (sq > 2147483647 or sq < -2147483648):
            return 1
        lo = <uint32_t>sq
        hi = <uint32_t>srem
    if size == 1:
        wreg(s, 0, 1, lo)
        wreg(s, 1, 1, hi)
    elif size == 2:
        wreg(s, 0, 2, lo)
        wreg(s, 8, 2, hi)
    else:
        R[0] = lo
        R[2] = hi
    return 0

cdef inline uint32_t imul2(CPUState *s, uint32_t size, uint32_t a, uint32_t b) noexcept nogil:
    """Two- and three-operand IMUL: truncated product, CF=OF=overflow."""
    cdef int64_t p = <int64_t><int32_t>sext(a, size) * <int32_t>sext(b, size)
    cdef uint32_t r = <uint32_t>p & size_mask(size)
    set_mul_flags(s, size, r, p != <int32_t>sext(r, size))
    return r

cdef inline uint32_t bit_op(CPUState *s, uint32_t op, uint32_t v, uint32_t bit) noexcept nogil:
    """BT/BTS/BTR/BTC on value v: CF = the bit; returns the new value.
    OF, SF, AF, PF are undefined (kept); ZF is unchanged."""
    cdef uint32_t m = 1u << bit
    cdef uint32_t f = compute_arith(s)
    set_arith(s, (f & ~<uint32_t>F_CF) | (1 if v & m else 0))
    if op == BT_BTS:
        return v | m
    if op == BT_BTR:
        return v & ~m
    if op == BT_BTC:
        return v ^ m
    return v

cdef inline int bit_scan(CPUState *s, bint reverse, uint32_t v, uint32_t *out) noexcept nogil:
    """BSF/BSR: ZF=1 and no write when v is 0 (the destination is then left
    unchanged, as AMD documents and Intel hardware does)."""
    cdef uint32_t f = compute_arith(s)
    if v == 0:
        set_arith(s, f | F_ZF)
        return 0
    set_arith(s, f & ~<uint32_t>F_ZF)
    if reverse:
        out[0] = 31 - __builtin_clz(v)
    else:
        out[0] = __builtin_ctz(v)
    return 1

cdef int bcd(CPUState *s, uint32_t op, uint32_t base) noexcept nogil:
    """DAA DAS AAA AAS AAM AAD on AL/AX. Returns 1 for AAM with base 0 (#DE).
    OF is undefined after all of them (kept); AAA/AAS leave SF ZF PF
    undefined too, and AAM/AAD leave CF AF: those follow the result."""
    cdef uint32_t f = compute_arith(s)
    cdef uint32_t al = s.regs[R_EAX] & 0xFF
    cdef uint32_t ah = (s.regs[R_EAX] >> 8) & 0xFF
    cdef uint32_t cf = f & F_CF
    cdef uint32_t af = f & F_AF
    cdef uint32_t old_al = al
    cdef uint32_t ax
    if op == BCD_DAA or op == BCD_DAS:
        f &= ~<uint32_t>(F_CF | F_AF)
        if (al & 0xF) > 9 or af:
            if op == BCD_DAA:
                al = (al + 6) & 0xFF
            else:
                if al < 6:
                    f |= F_CF
                al = (al - 6) & 0xFF
            f |= F_AF
        if old_al > 0x99 or cf:
            al = (al + 0x60) & 0xFF if op == BCD_DAA else (al - 0x60) & 0xFF
            f |= F_CF
        wreg(s, 0, 1, al)
    elif op == BCD_AAA or op == BCD_AAS:
        ax = s.regs[R_EAX] & 0xFFFF
        if (al & 0xF) > 9 or af:
            if op == BCD_AAA:
                ax = (ax + 0x106) & 0xFFFF
            else:
                # As QEMU and recent hardware: AX - 6 (borrowing into AH), then AH - 1.
                ax = (ax - 6 - 0x100) & 0xFFFF
            f |= F_CF | F_AF
        else:
            f &= ~<uint32_t>(F_CF | F_AF)
        wreg(s, 0, 2, ax & 0xFF0F)
        al = ax & 0x0F
    elif op == BCD_AAM:
        if base == 0:
            return 1
        wreg(s, 1, 1, al // base)
        al = al % base
        wreg(s, 0, 1, al)
        f &= ~<uint32_t>(F_CF | F_AF)
    else:
        al = (al + ah * base) & 0xFF
        wreg(s, 0, 2, al)
        f &= ~<uint32_t>(F_CF | F_AF)
    f &= ~<uint32_t>(F_SF | F_ZF | F_PF)
    f |= PARITY[al]
    if al == 0:
        f |= F_ZF
    if al & 0x80:
        f |= F_SF
    set_arith(s, f)
    return 0
