# The fast loop: runs translated blocks without the GIL and without Python
# per instruction. Blocks are entered through chain pointers (direct
# branches), the jump cache (indirect branches) or a hash lookup, and
# translated on a miss. Interrupts and stop requests are looked at between
# blocks.

cdef inline int exec_uop(VM *vm, Uop *u) noexcept nogil:
    """Execute one micro-op; returns RC_*."""
    cdef CPUState *s = &vm.cpu
    cdef uint32_t *R = s.regs
    cdef uint32_t op = u.op
    cdef uint32_t a, b, r, v, sz, c
    cdef int rc
    cdef uint64_t q
    if op == OP_MOV32_RR:
        R[u.r1 >> 2] = R[u.r2 >> 2]
    elif op == OP_LOAD32:
        R[u.r1 >> 2] = rd32(vm, lin_of(vm, u))
    elif op == OP_STORE32:
        return wr32(vm, lin_of(vm, u), R[u.r2 >> 2])
    elif op == OP_MOV32_RI:
        R[u.r1 >> 2] = u.imm
    elif op == OP_ADD32_RR:
        a = R[u.r1 >> 2]
        b = R[u.r2 >> 2]
        r = a + b
        R[u.r1 >> 2] = r
        set_cc(s, CC_ADD, 4, a, b, r)
    elif op == OP_ADD32_RI:
        a = R[u.r1 >> 2]
        r = a + u.imm
        R[u.r1 >> 2] = r
        set_cc(s, CC_ADD, 4, a, u.imm, r)
    elif op == OP_SUB32_RR:
        a = R[u.r1 >> 2]
        b = R[u.r2 >> 2]
        r = a - b
        R[u.r1 >> 2] = r
        set_cc(s, CC_SUB, 4, a, b, r)
    elif op == OP_SUB32_RI:
        a = R[u.r1 >> 2]
        r = a - u.imm
        R[u.r1 >> 2] = r
        set_cc(s, CC_SUB, 4, a, u.imm, r)
    elif op == OP_CMP32_RR:
        a = R[u.r1 >> 2]
        b = R[u.r2 >> 2]
        set_cc(s, CC_SUB, 4, a, b, a - b)
    elif op == OP_CMP32_RI:
        a = R[u.r1 >> 2]
        set_cc(s, CC_SUB, 4, a, u.imm, a - u.imm)
    elif op == OP_CMP32_RM:
        a = R[u.r1 >> 2]
        b = rd32(vm, lin_of(vm, u))
        set_cc(s, CC_SUB, 4, a, b, a - b)
    elif op == OP_AND32_RI:
        r = R[u.r1 >> 2] & u.imm
        R[u.r1 >> 2] = r
        set_cc(s, CC_LOGIC, 4, 0, 0, r)
    elif op == OP_XOR32_RR:
        r = R[u.r1 >> 2] ^ R[u.r2 >> 2]
        R[u.r1 >> 2] = r
        set_cc(s, CC_LOGIC, 4, 0, 0, r)
    elif op == OP_TEST32_RR:
        set_cc(s, CC_LOGIC, 4, 0, 0, R[u.r1 >> 2] & R[u.r2 >> 2])
    elif op == OP_SHL32_RI:
        a = R[u.r1 >> 2]
        r = a << u.imm
        R[u.r1 >> 2] = r
        # CF is the last bit shifted out; OF (defined for a count of 1) is
        # MSB(result) XOR CF.
        c = (a >> (32 - u.imm)) & 1
        s.cc_aux = c | ((((r >> 31) ^ c) & 1) << 11)
        set_cc(s, CC_SHIFT, 4, a, u.imm, r)
    elif op == OP_SHR32_RI:
        a = R[u.r1 >> 2]
        r = a >> u.imm
        R[u.r1 >> 2] = r
        s.cc_aux = ((a >> (u.imm - 1)) & 1) | ((a >> 31) << 11)
        set_cc(s, CC_SHIFT, 4, a, u.imm, r)
    elif op == OP_SAR32_RI:
        a = R[u.r1 >> 2]
        r = <uint32_t>(<int32_t>a >> u.imm)
        R[u.r1 >> 2] = r
        s.cc_aux = (<uint32_t>(<int32_t>a >> (u.imm - 1))) & 1
        set_cc(s, CC_SHIFT, 4, a, u.imm, r)
    elif op == OP_INC32_R:
        s.cc_aux = get_cf(s)
        a = R[u.r1 >> 2]
        R[u.r1 >> 2] = a + 1
        set_cc(s, CC_INC, 4, a, 1, a + 1)
    elif op == OP_DEC32_R:
        s.cc_aux = get_cf(s)
        a = R[u.r1 >> 2]
        R[u.r1 >> 2] = a - 1
        set_cc(s, CC_DEC, 4, a, 1, a - 1)
    elif op == OP_PUSH32_R:
        a = R[R_ESP] - 4
        v = R[u.r1 >> 2]
        b = seg_addr(vm, u, S_SS, a, 4)
        R[R_ESP] = a
        return wr32(vm, b, v)
    elif op == OP_POP32_R:
        a = R[R_ESP]
        v = rd32(vm, seg_addr(vm, u, S_SS, a, 4))
        R[R_ESP] = a + 4
        R[u.r1 >> 2] = v
    elif op == OP_JCC:
        if test_cond(s, u.sub):
            s.eip = u.imm
            vm.slot = 0
        else:
            s.eip = u.imm2
            vm.slot = 1
        return RC_JUMP
    elif op == OP_JMP:
        s.eip = u.imm
        vm.slot = 0
        return RC_JUMP
    elif op == OP_END:
        s.eip = u.imm
        vm.slot = 1
        return RC_JUMP
    elif op == OP_CALL:
        a = R[R_ESP] - u.size
        rc = wr(vm, seg_addr(vm, u, S_SS, a, u.size), u.size, u.imm2)
        R[R_ESP] = a
        s.eip = u.imm
        vm.slot = 0
        return RC_JUMP
    elif op == OP_RET:
        a = R[R_ESP]
        v = rd(vm, seg_addr(vm, u, S_SS, a, u.size), u.size)
        R[R_ESP] = a + u.size + u.imm
        s.eip = v
        vm.slot = 2
        return RC_JUMP
    elif op == OP_LEA:
        wreg(s, u.r1, u.size, ea_of(s, u))
    elif op == OP_MOV_RR:
        wreg(s, u.r1, u.size, rreg(s, u.r2, u.size))
    elif op == OP_MOV_RI:
        wreg(s, u.r1, u.size, u.imm)
    elif op == OP_LOAD:
        wreg(s, u.r1, u.size, rd(vm, lin_of(vm, u), u.size))
    elif op == OP_STORE:
        return wr(vm, lin_of(vm, u), u.size, rreg(s, u.r2, u.size))
    elif op == OP_STORE_I:
        return wr(vm, lin_of(vm, u), u.size, u.imm)
    elif op == OP_MOVX_R or op == OP_MOVX_M:
        v = rreg(s, u.r2, u.aux) if op == OP_MOVX_R else rd(vm, lin_of(vm, u), u.aux)
        if u.sub:
            v = sext(v, u.aux)
        wreg(s, u.r1, u.size, v)
    elif op == OP_ALU_RR:
        r = alu(s, u.sub, u.size, rreg(s, u.r1, u.size), rreg(s, u.r2, u.size))
        if u.sub < ALU_CMP:
            wreg(s, u.r1, u.size, r)
    elif op == OP_ALU_RI:
        r = alu(s, u.sub, u.size, rreg(s, u.r1, u.size), u.imm)
        if u.sub < ALU_CMP:
            wreg(s, u.r1, u.size, r)
    elif op == OP_ALU_RM:
        r = alu(s, u.sub, u.size, rreg(s, u.r1, u.size), rd(vm, lin_of(vm, u), u.size))
        if u.sub < ALU_CMP:
            wreg(s, u.r1, u.size, r)
    elif op == OP_ALU_MR or op == OP_ALU_MI:
        a = lin_of(vm, u)
        b = rreg(s, u.r2, u.size) if op == OP_ALU_MR else u.imm
        r = alu(s, u.sub, u.size, rd(vm, a, u.size), b)
        if u.sub < ALU_CMP:
            return wr(vm, a, u.size, r)
    elif op == OP_UNARY_R:
        wreg(s, u.r1, u.size, unary(s, u.sub, u.size, rreg(s, u.r1, u.size)))
    elif op == OP_UNARY_M:
        a = lin_of(vm, u)
        return wr(vm, a, u.size, unary(s, u.sub, u.size, rd(vm, a, u.size)))
    elif op == OP_SHIFT_R:
        c = (R[R_ECX] & 0xFF) if u.aux & 1 else u.imm
        wreg(s, u.r1, u.size, shift(s, u.sub, u.size, rreg(s, u.r1, u.size), c))
    elif op == OP_SHIFT_M:
        c = (R[R_ECX] & 0xFF) if u.aux & 1 else u.imm
        a = lin_of(vm, u)
        v = rd(vm, a, u.size)
        r = shift(s, u.sub, u.size, v, c)
        if (c & 31) == 0:
            return 0
        return wr(vm, a, u.size, r)
    elif op == OP_SHD_R:
        c = (R[R_ECX] & 0xFF) if u.aux & 1 else u.imm
        wreg(s, u.r1, u.size, shift_double(s, u.sub, u.size, rreg(s, u.r1, u.size),
                                           rreg(s, u.r2, u.size), c))
    elif op == OP_SHD_M:
        c = (R[R_ECX] & 0xFF) if u.aux & 1 else u.imm
        a = lin_of(vm, u)
        v = rd(vm, a, u.size)
        r = shift_double(s, u.sub, u.size, v, rreg(s, u.r2, u.size), c)
        if (c & 31) == 0:
            return 0
        return wr(vm, a, u.size, r)
    elif op == OP_MULDIV_R or op == OP_MULDIV_M:
        v = rreg(s, u.r1, u.size) if op == OP_MULDIV_R else rd(vm, lin_of(vm, u), u.size)
        if muldiv(vm, u, v):
            fault(vm, u, FAULT_DE, 0)
            return RC_EXIT
    elif op == OP_IMUL_RR or op == OP_IMUL_RM:
        v = rreg(s, u.r2, u.size) if op == OP_IMUL_RR else rd(vm, lin_of(vm, u), u.size)
        wreg(s, u.r1, u.size, imul2(s, u.size, v, u.imm if u.aux else rreg(s, u.r1, u.size)))
    elif op == OP_JMP_R:
        s.eip = rreg(s, u.r1, u.size)
        vm.slot = 2
        return RC_JUMP
    elif op == OP_JMP_M:
        s.eip = rd(vm, lin_of(vm, u), u.size)
        vm.slot = 2
        return RC_JUMP
    elif op == OP_CALL_R or op == OP_CALL_M:
        v = rreg(s, u.r1, u.size) if op == OP_CALL_R else rd(vm, lin_of(vm, u), u.size)
        a = R[R_ESP] - u.size
        wr(vm, seg_addr(vm, u, S_SS, a, u.size), u.size, u.imm2)
        R[R_ESP] = a
        s.eip = v
        vm.slot = 2
        return RC_JUMP
    elif op == OP_LOOP:
        if u.aux & 2:       # 0x67: the count is CX
            if u.sub == 3:
                v = (R[R_ECX] & 0xFFFF) == 0
            else:
                R[R_ECX] = (R[R_ECX] & 0xFFFF0000U) | ((R[R_ECX] - 1) & 0xFFFF)
                v = (R[R_ECX] & 0xFFFF) != 0
        elif u.sub == 3:
            v = R[R_ECX] == 0
        else:
            R[R_ECX] -= 1
            v = R[R_ECX] != 0
        if u.sub == 1 or u.sub == 2:
            if u.sub == 1:
                v = v and test_cond(s, 4)
            else:
                v = v and not test_cond(s, 4)
        if v:
            s.eip = u.imm
            vm.slot = 0
        else:
            s.eip = u.imm2
            vm.slot = 1
        return RC_JUMP
    elif op == OP_CMOV_R or op == OP_CMOV_M:
        v = rreg(s, u.r2, u.size) if op == OP_CMOV_R else rd(vm, lin_of(vm, u), u.size)
        if test_cond(s, u.sub):
            wreg(s, u.r1, u.size, v)
    elif op == OP_SETCC_R:
        wreg(s, u.r1, 1, test_cond(s, u.sub))
    elif op == OP_SETCC_M:
        return wr(vm, lin_of(vm, u), 1, test_cond(s, u.sub))
    elif op == OP_XCHG_RR:
        v = rreg(s, u.r1, u.size)
        wreg(s, u.r1, u.size, rreg(s, u.r2, u.size))
        wreg(s, u.r2, u.size, v)
    elif op == OP_XCHG_RM:
        a = lin_of(vm, u)
        v = rd(vm, a, u.size)
        rc = wr(vm, a, u.size, rreg(s, u.r1, u.size))
        wreg(s, u.r1, u.size, v)
        return rc
    elif op == OP_BSWAP:
        v = R[u.r1 >> 2]
        R[u.r1 >> 2] = ((v >> 24) | ((v >> 8) & 0xFF00) | ((v << 8) & 0xFF0000) | (v << 24))
    elif op == OP_XADD_R:
        a = rreg(s, u.r1, u.size)
        b = rreg(s, u.r2, u.size)
        r = alu(s, ALU_ADD, u.size, a, b)
        wreg(s, u.r2, u.size, a)
        wreg(s, u.r1, u.size, r)
    elif op == OP_XADD_M:
        v = lin_of(vm, u)
        a = rd(vm, v, u.size)
        b = rreg(s, u.r2, u.size)
        r = alu(s, ALU_ADD, u.size, a, b)
        rc = wr(vm, v, u.size, r)
        wreg(s, u.r2, u.size, a)
        return rc
    elif op == OP_CMPXCHG_R:
        a = rreg(s, u.r1, u.size)
        alu(s, ALU_CMP, u.size, rreg(s, 0, u.size), a)
        if rreg(s, 0, u.size) == a:
            wreg(s, u.r1, u.size, rreg(s, u.r2, u.size))
        else:
            wreg(s, 0, u.size, a)
    elif op == OP_CMPXCHG_M:
        v = lin_of(vm, u)
        a = rd(vm, v, u.size)
        alu(s, ALU_CMP, u.size, rreg(s, 0, u.size), a)
        if rreg(s, 0, u.size) == a:
            return wr(vm, v, u.size, rreg(s, u.r2, u.size))
        wreg(s, 0, u.size, a)
        # The destination is written back with its own value, as the locked
        # read-modify-write cycle does.
        return wr(vm, v, u.size, a)
    elif op == OP_CMPXCHG8B:
        v = lin_of(vm, u)
        a = rd32(vm, v)
        b = rd32(vm, v + 4)
        c = compute_arith(s)
        if a == R[R_EAX] and b == R[R_EDX]:
            set_arith(s, c | F_ZF)
            rc = wr32(vm, v, R[R_EBX])
            return rc | wr32(vm, v + 4, R[R_ECX])
        set_arith(s, c & ~<uint32_t>F_ZF)
        R[R_EAX] = a
        R[R_EDX] = b
        rc = wr32(vm, v, a)
        return rc | wr32(vm, v + 4, b)
    elif op == OP_BT_R:
        v = rreg(s, u.r1, u.size)
        c = (rreg(s, u.r2, u.size) if u.aux & 1 else u.imm) & (u.size * 8 - 1)
        r = bit_op(s, u.sub, v, c)
        if u.sub != BT_BT:
            wreg(s, u.r1, u.size, r)
    elif op == OP_BT_M:
        a = lin_of(vm, u)
        if u.aux & 1:
            # Register bit offsets address a bit string: signed, unbounded.
            v = rreg(s, u.r2, u.size)
            if u.size == 4:
                a += <uint32_t>((<int32_t>v >> 5) * 4)
            else:
                a += <uint32_t>((<int32_t><int16_t>v >> 4) * 2)
            c = v & (u.size * 8 - 1)
        else:
            c = u.imm & (u.size * 8 - 1)
        v = rd(vm, a, u.size)
        r = bit_op(s, u.sub, v, c)
        if u.sub != BT_BT:
            return wr(vm, a, u.size, r)
    elif op == OP_BSF_R or op == OP_BSF_M:
        v = rreg(s, u.r2, u.size) if op == OP_BSF_R else rd(vm, lin_of(vm, u), u.size)
        if bit_scan(s, u.sub, v, &r):
            wreg(s, u.r1, u.size, r)
    elif op == OP_PUSH_R:
        return push(vm, u, u.size, rreg(s, u.r1, u.size))
    elif op == OP_PUSH_I:
        return push(vm, u, u.size, u.imm)
    elif op == OP_PUSH_M:
        return push(vm, u, u.size, rd(vm, lin_of(vm, u), u.size))
    elif op == OP_POP_R:
        wreg(s, u.r1, u.size, pop(vm, u, u.size))
    elif op == OP_POP_M:
        # The address is computed after ESP has been incremented.
        v = pop(vm, u, u.size)
        return wr(vm, lin_of(vm, u), u.size, v)
    elif op == OP_PUSHA:
        sz = u.size
        a = R[R_ESP]
        rc = 0
        seg_addr(vm, u, S_SS, a - 8 * sz, 8 * sz)
        for c in range(8):
            v = a if c == R_ESP else R[c]
            rc |= wr(vm, a - (c + 1) * sz + s.seg[S_SS].base, sz, v)
        R[R_ESP] = a - 8 * sz
        return rc
    elif op == OP_POPA:
        sz = u.size
        a = R[R_ESP]
        seg_addr(vm, u, S_SS, a, 8 * sz)
        for c in range(8):
            if c != R_ESP:
                wreg(s, c * 4, sz, rd(vm, a + (7 - c) * sz + s.seg[S_SS].base, sz))
        R[R_ESP] = a + 8 * sz
    elif op == OP_ENTER:
        return do_enter(vm, u)
    elif op == OP_LEAVE:
        R[R_ESP] = R[R_EBP] if u.size == 4 else (R[R_ESP] & 0xFFFF0000U) | (R[R_EBP] & 0xFFFF)
        wreg(s, R_EBP * 4, u.size, pop(vm, u, u.size))
    elif op == OP_CBW:
        if u.size == 4:
            R[R_EAX] = sext(R[R_EAX], 2)
        else:
            wreg(s, 0, 2, sext(R[R_EAX], 1))
    elif op == OP_CWD:
        if u.size == 4:
            R[R_EDX] = 0xFFFFFFFFU if R[R_EAX] & 0x80000000U else 0
        else:
            wreg(s, 8, 2, 0xFFFF if R[R_EAX] & 0x8000 else 0)
    elif op == OP_FLAGOP:
        flag_op(s, u.sub)
    elif op == OP_XLAT:
        wreg(s, 0, 1, rd(vm, R[R_EBX] + (R[R_EAX] & 0xFF) + s.seg[u.seg].base, 1))
    elif op == OP_BCD:
        if bcd(s, u.sub, u.imm):
            fault(vm, u, FAULT_DE, 0)
            return RC_EXIT
    elif op == OP_BOUND:
        a = lin_of(vm, u)
        if u.size == 4:
            c = <uint32_t>(<int32_t>R[u.r1 >> 2] < <int32_t>rd32(vm, a)
                           or <int32_t>R[u.r1 >> 2] > <int32_t>rd32(vm, a + 4))
        else:
            v = rreg(s, u.r1, 2)
            c = <uint32_t>(<int16_t>v < <int16_t>rd(vm, a, 2) or <int16_t>v > <int16_t>rd(vm, a + 2, 2))
        if c:
            fault(vm, u, FAULT_BR, 0)
            return RC_EXIT
    elif op == OP_ARPL:
        # Raise the destination selector's RPL to the source's; ZF says so.
        a = lin_of(vm, u) if u.aux & 1 else 0
        v = rd(vm, a, 2) if u.aux & 1 else rreg(s, u.r1, 2)
        b = rreg(s, u.r2, 2)
        c = compute_arith(s)
        if (v & 3) < (b & 3):
            set_arith(s, c | F_ZF)
            v = (v & 0xFFFC) | (b & 3)
            if u.aux & 1:
                return wr(vm, a, 2, v)
            wreg(s, u.r1, 2, v)
        else:
            set_arith(s, c & ~<uint32_t>F_ZF)
    elif op == OP_STRING:
        if u.sub >= STR_INS:
            if callout_enter(vm, u, CO_INS if u.sub == STR_INS else CO_OUTS):
                return RC_EXIT
            if not io_allowed(vm, R[R_EDX] & 0xFFFF, u.size):
                raise_fault(vm, u, FAULT_GP, 0)
        rc = string_op(vm, u)
        if vm.stop_request:
            s.eip = u.eip if (u.aux != REP_NONE and R[R_ECX] != 0) else u.imm2
            vm.exit_reason = EXIT_STOP
            return RC_EXIT
        return rc
    elif op == OP_NOP:
        pass
    elif op == OP_CLI:
        if callout_enter(vm, u, CO_CLI):
            return RC_EXIT
        if not iopl_allows(s):
            raise_fault(vm, u, FAULT_GP, 0)
        s.eflags &= ~<uint32_t>F_IF
    elif op == OP_STI:
        if callout_enter(vm, u, CO_STI):
            return RC_EXIT
        if not iopl_allows(s):
            raise_fault(vm, u, FAULT_GP, 0)
        s.eflags |= F_IF
    elif op == OP_PUSHF:
        if callout_enter(vm, u, CO_PUSHF):
            return RC_EXIT
        # VM and RF read as 0 in the pushed image.
        return push(vm, u, u.size, get_eflags(s) & ~<uint32_t>(F_VM | F_RF))
    elif op == OP_POPF:
        if callout_enter(vm, u, CO_POPF):
            return RC_EXIT
        v = s.eflags
        write_eflags(s, pop(vm, u, u.size), u.size)
        # Leave the block only when the loop must look at the new flags
        # (interrupts just enabled, single-stepping on): POPF is common in
        # kernels' lock paths and should cost no more than PUSHF otherwise.
        if (s.eflags & ~v & F_IF) or (s.eflags & F_TF):
            s.eip = u.imm2
            vm.slot = 2
            return RC_JUMP
    elif op == OP_IN:
        if callout_enter(vm, u, CO_IN):
            return RC_EXIT
        a = (R[R_EDX] & 0xFFFF) if u.aux & 1 else u.imm
        if not io_allowed(vm, a, u.size):
            raise_fault(vm, u, FAULT_GP, 0)
        v = port_in(vm, a, u.size)
        wreg(s, 0, u.size, v)
        if vm.stop_request:
            s.eip = u.imm2
            vm.exit_reason = EXIT_STOP
            return RC_EXIT
    elif op == OP_OUT:
        if callout_enter(vm, u, CO_OUT):
            return RC_EXIT
        a = (R[R_EDX] & 0xFFFF) if u.aux & 1 else u.imm
        if not io_allowed(vm, a, u.size):
            raise_fault(vm, u, FAULT_GP, 0)
        port_out(vm, a, u.size, rreg(s, 0, u.size))
        if vm.stop_request:
            s.eip = u.imm2
            vm.exit_reason = EXIT_STOP
            return RC_EXIT
    elif op == OP_CALLOUT:
        return do_callout(vm, u)
    elif op == OP_FAULT:
        fault(vm, u, u.sub, u.imm)
        return RC_EXIT
    else:
        fault(vm, u, FAULT_UNSUPPORTED, 0)
        return RC_EXIT
    return RC_NEXT

cdef void flag_op(CPUState *s, uint32_t sub) noexcept nogil:
    cdef uint32_t f
    if sub == FO_CLD:
        s.eflags &= ~<uint32_t>F_DF
        return
    if sub == FO_STD:
        s.eflags |= F_DF
        return
    f = compute_arith(s)
    if sub == FO_LAHF:
        wreg(s, 1, 1, (f & 0xD5) | 2)
    elif sub == FO_SAHF:
        set_arith(s, (f & F_OF) | ((s.regs[R_EAX] >> 8) & 0xD5))
    elif sub == FO_CLC:
        set_arith(s, f & ~<uint32_t>F_CF)
    elif sub == FO_STC:
        set_arith(s, f | F_CF)
    elif sub == FO_CMC:
        set_arith(s, f ^ F_CF)
    elif sub == FO_SALC:
        wreg(s, 0, 1, 0xFF if f & F_CF else 0)

cdef int do_enter(VM *vm, Uop *u) noexcept nogil:
    """ENTER imm16, level: build a stack frame with `level` display entries."""
    cdef CPUState *s = &vm.cpu
    cdef uint32_t sz = u.size
    cdef uint32_t level = u.imm2 & 31
    cdef uint32_t ss = s.seg[S_SS].base
    cdef uint32_t sp = s.regs[R_ESP] - sz
    cdef uint32_t bp = s.regs[R_EBP]
    cdef uint32_t frame
    cdef uint32_t i
    cdef int rc = wr(vm, sp + ss, sz, bp)
    frame = sp
    if level > 0:
        for i in range(1, level):
            bp -= sz
            sp -= sz
            rc |= wr(vm, sp + ss, sz, rd(vm, bp + ss, sz))
        sp -= sz
        rc |= wr(vm, sp + ss, sz, frame)
    wreg(s, R_EBP * 4, sz, frame)
    s.regs[R_ESP] = sp - u.imm
    return rc

cdef inline uint32_t cur_mode(CPUState *s) noexcept nogil:
    # Translations depend on the code size and, for the privilege checks
    # they may fold in later, on the CPL.
    return (MODE_32 if s.seg[S_CS].attr & 0x400 else 0) | (s.cpl << 1)

cdef Block *lookup(VM *vm) noexcept nogil:
    """The block for the current CS:EIP: jump cache, then hash, then translate."""
    cdef CPUState *s = &vm.cpu
    cdef uint32_t eip = s.eip
    cdef uint32_t cs_base = s.seg[S_CS].base
    cdef uint32_t mode = cur_mode(s)
    cdef uint32_t phys = eip + cs_base
    cdef Block *b = vm.cache.jc[(phys >> 2) & (JC_SIZE - 1)]
    vm.n_lookups += 1
    if b != NULL and b.valid and b.phys == phys and b.cs_base == cs_base and b.mode == mode:
        vm.n_jc_hits += 1
        return b
    b = cache_find(&vm.cache, phys, cs_base, mode)
    if b == NULL:
        vm.n_misses += 1
        b = translate_block(vm, eip, phys, cs_base, mode)
    vm.cache.jc[(phys >> 2) & (JC_SIZE - 1)] = b
    return b

cdef int run_partial(VM *vm, Block *b, uint32_t n) noexcept nogil:
    """Run only the first n micro-ops of b (the budget ends inside it)."""
    cdef uint32_t i
    cdef int rc
    for i in range(n):
        rc = exec_uop(vm, &b.uops[i])
        if rc != RC_NEXT:
            vm.budget -= i if (rc == RC_EXIT and vm.exit_reason == EXIT_FAULT) else i + 1
            if rc == RC_SMC:
                vm.cpu.eip = b.uops[i].imm2
                vm.slot = 2
                return RC_JUMP
            return rc
    vm.budget -= n
    vm.cpu.eip = b.uops[n].eip
    vm.slot = 2
    return RC_JUMP

cdef int cpu_exec(VM *vm) noexcept nogil:
    """Run until an exit reason. Returns it (EXIT_*).

    vm.budget is the number of instructions this run may execute; the
    instructions executed are added to vm.icount when the run returns.
    A fault raised deep inside a handler longjmps back here, is delivered
    through the IDT, and the blocks run on from its handler. The setjmp
    lives in this small frame so that it does not constrain the register
    allocation of the hot loop in run_blocks."""
    cdef int64_t start = vm.budget
    cdef int r
    vm.run_start = start
    vm.running = 1
    vm.exit_reason = EXIT_NONE
    vm.smc_hit = 0
    while True:
        if setjmp(vm.fault_jmp) == 0:
            r = run_blocks(vm)
            break
        # raise_fault() from inside a handler: the instruction at cur_uop did
        # not complete; the ones before it in the block did.
        vm.budget -= <int64_t>(vm.cur_uop - vm.cur_block.uops)
        vm.smc_hit = 0
        if take_fault(vm) != RC_JUMP:
            r = vm.exit_reason
            break
    vm.cur_block = NULL
    vm.icount += <uint64_t>(start - vm.budget)
    vm.running = 0
    return r

cdef int run_blocks(VM *vm) noexcept nogil:
    """The fast loop proper: blocks, chaining, lookups, until an exit."""
    cdef CPUState *s = &vm.cpu
    cdef Block *b
    cdef Block *nb
    cdef Uop *u
    cdef uint32_t i, n
    cdef int rc = 0
    cdef int slot
    cdef uint32_t gen
    b = lookup(vm)
    while True:
        if vm.stop_request | vm.intr:
            if vm.stop_request:
                vm.exit_reason = EXIT_STOP
                break
            # Interrupts are taken between blocks, when IF allows.
            if s.eflags & F_IF:
                rc = take_interrupt(vm)
                if rc == RC_EXIT:
                    break
                if rc == RC_JUMP:
                    b = lookup(vm)
                    continue
        n = b.n_uops
        if vm.trace != NULL:
            fprintf(vm.trace, b"%08x %u\n", b.eip, n)
        vm.cur_block = b
        if vm.budget > n:
            # The hot path: every block ends in a control transfer or the
            # OP_END sentinel, so the micro-ops run without a bounds check.
            u = b.uops
            while True:
                rc = exec_uop(vm, u)
                if rc != RC_NEXT:
                    break
                u += 1
            i = <uint32_t>(u - b.uops)
            if rc == RC_JUMP:
                vm.budget -= i + 1 if i < n else n
                slot = vm.slot
                if vm.smc_hit:
                    vm.n_smc_exits += 1
                    vm.smc_hit = 0
            elif rc == RC_EXIT:
                vm.budget -= i if vm.exit_reason == EXIT_FAULT else i + 1
                break
            else:  # RC_SMC: the block wrote into itself; go on after the store
                vm.budget -= i + 1
                vm.n_smc_exits += 1
                vm.smc_hit = 0
                s.eip = u.imm2
                slot = 2
        else:
            if vm.budget <= 0:
                vm.exit_reason = EXIT_BUDGET
                break
            rc = run_partial(vm, b, <uint32_t>vm.budget if vm.budget < n else n)
            if rc == RC_EXIT:
                break
            slot = vm.slot
            vm.smc_hit = 0
        # Find the next block. A direct branch's successor is fixed, so a
        # chained pointer needs only to be still valid.
        if slot < 2:
            nb = b.next[slot]
            if nb != NULL and nb.valid:
                vm.n_chained += 1
                b = nb
                continue
            gen = vm.cache.generation
            nb = lookup(vm)
            if gen == vm.cache.generation and b.valid and nb.mode == b.mode:
                b.next[slot] = nb
            b = nb
        else:
            b = lookup(vm)
    return vm.exit_reason
