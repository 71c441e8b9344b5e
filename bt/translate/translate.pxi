# The translator: one capstone instruction record -> one micro-op, with all
# operands resolved (register offsets, immediates masked to the operand
# size, the address form, the segment). Sensitive instructions become
# callout micro-ops as the instruction table says.

cdef enum:
    TR_OK = 0       # translated; the block may go on
    TR_END = 1      # translated; the block ends after it
    TR_BAD = 2      # not translatable: u is an OP_FAULT micro-op

cdef enum:
    RC_NONE = 0
    RC_GPR = 1
    RC_SEG = 2
    RC_CR = 3
    RC_DR = 4

cdef uint8_t REG_CLASS[X86_REG_ENDING]
cdef uint8_t REG_OFF[X86_REG_ENDING]     # byte offset in regs[] (GPR)
cdef uint8_t REG_NUM[X86_REG_ENDING]     # GPR32 index / segment index / CR, DR number

cdef void init_reg_tables() noexcept:
    cdef int i
    for i in range(X86_REG_ENDING):
        REG_CLASS[i] = RC_NONE
        REG_OFF[i] = 0
        REG_NUM[i] = R_ZERO
    gprs32 = [X86_REG_EAX, X86_REG_ECX, X86_REG_EDX, X86_REG_EBX,
              X86_REG_ESP, X86_REG_EBP, X86_REG_ESI, X86_REG_EDI]
    gprs16 = [X86_REG_AX, X86_REG_CX, X86_REG_DX, X86_REG_BX,
              X86_REG_SP, X86_REG_BP, X86_REG_SI, X86_REG_DI]
    gprs8 = [X86_REG_AL, X86_REG_CL, X86_REG_DL, X86_REG_BL,
             X86_REG_AH, X86_REG_CH, X86_REG_DH, X86_REG_BH]
    segs = [X86_REG_ES, X86_REG_CS, X86_REG_SS, X86_REG_DS, X86_REG_FS, X86_REG_GS]
    crs = [X86_REG_CR0, X86_REG_CR1, X86_REG_CR2, X86_REG_CR3,
           X86_REG_CR4, X86_REG_CR5, X86_REG_CR6, X86_REG_CR7]
    drs = [X86_REG_DR0, X86_REG_DR1, X86_REG_DR2, X86_REG_DR3,
           X86_REG_DR4, X86_REG_DR5, X86_REG_DR6, X86_REG_DR7]
    for n in range(8):
        REG_CLASS[gprs32[n]] = RC_GPR
        REG_OFF[gprs32[n]] = 4 * n
        REG_NUM[gprs32[n]] = n
        REG_CLASS[gprs16[n]] = RC_GPR
        REG_OFF[gprs16[n]] = 4 * n
        REG_NUM[gprs16[n]] = n
        REG_CLASS[gprs8[n]] = RC_GPR
        REG_OFF[gprs8[n]] = 4 * (n & 3) + (n >> 2)
        REG_CLASS[crs[n]] = RC_CR
        REG_NUM[crs[n]] = n
        REG_CLASS[drs[n]] = RC_DR
        REG_NUM[drs[n]] = n
    for n in range(6):
        REG_CLASS[segs[n]] = RC_SEG
        REG_NUM[segs[n]] = n

cdef inline bint is_gpr(cs_x86_op *o) noexcept nogil:
    return o.type == X86_OP_REG and REG_CLASS[o.reg] == RC_GPR

cdef inline bint is_mem(cs_x86_op *o) noexcept nogil:
    return o.type == X86_OP_MEM

cdef inline bint is_imm(cs_x86_op *o) noexcept nogil:
    return o.type == X86_OP_IMM

cdef inline bint is_class(cs_x86_op *o, int cls) noexcept nogil:
    return o.type == X86_OP_REG and REG_CLASS[o.reg] == cls

cdef inline int set_mem(Uop *u, cs_x86_op *o) noexcept nogil:
    """Resolve a memory operand into u's address fields. -1 if not 32-bit form."""
    cdef int base = o.mem.base
    cdef int index = o.mem.index
    cdef int sc = o.mem.scale
    if base != X86_REG_INVALID:
        if REG_CLASS[base] != RC_GPR or REG_OFF[base] != 4 * REG_NUM[base]:
            return -1
        u.base = REG_NUM[base]
    else:
        u.base = R_ZERO
    if index != X86_REG_INVALID and index != X86_REG_EIZ:
        if REG_CLASS[index] != RC_GPR:
            return -1
        u.index = REG_NUM[index]
    else:
        u.index = R_ZERO
    u.scale = 0 if sc <= 1 else (1 if sc == 2 else (2 if sc == 4 else 3))
    u.disp = <uint32_t>o.mem.disp
    if o.mem.segment != X86_REG_INVALID:
        u.seg = REG_NUM[o.mem.segment]
    elif base == X86_REG_ESP or base == X86_REG_EBP or base == X86_REG_BP:
        u.seg = S_SS
    else:
        u.seg = S_DS
    u.aux |= 1
    return 0

cdef inline void fault_uop(Uop *u, int code, uint32_t arg) noexcept nogil:
    u.op = OP_FAULT
    u.sub = code
    u.imm = arg

cdef int translate_insn(VM *vm, cs_insn *insn, Uop *u) noexcept nogil:
    """Fill u from insn. Returns TR_OK, TR_END or TR_BAD."""
    cdef cs_x86 *x = &insn.detail.x86
    cdef unsigned int iid = insn.id
    cdef int kind = TBL_KIND[iid] if iid < X86_INS_ENDING else K_NONE
    cdef int flags = TBL_FLAGS[iid] if iid < X86_INS_ENDING else 0
    cdef int st = TR_END if flags & T_ENDS_BLOCK else TR_OK
    cdef cs_x86_op *o0 = &x.operands[0]
    cdef cs_x86_op *o1 = &x.operands[1]
    cdef cs_x86_op *o2 = &x.operands[2]
    cdef int nops = x.op_count
    cdef uint32_t sub = TBL_SUB[iid] if iid < X86_INS_ENDING else 0
    cdef uint32_t size
    cdef uint32_t next_eip = <uint32_t>(insn.address + insn.size)
    memset(u, 0, sizeof(Uop))
    u.eip = <uint32_t>insn.address
    u.len = <uint8_t>insn.size
    u.imm2 = next_eip
    u.base = R_ZERO
    u.index = R_ZERO
    u.seg = S_DS
    u.sub = sub
    u.amask = 0xFFFFFFFFU
    if kind == K_NONE:
        fault_uop(u, FAULT_UNSUPPORTED, iid)
        return TR_BAD
    if x.prefix[3] == 0x67:
        # 16-bit addressing: [bx+si]-style forms wrap at 64 KiB. String
        # instructions and XLAT would also count in CX/SI/DI: not supported.
        if kind == K_STRING or kind == K_XLAT:
            fault_uop(u, FAULT_ADDR16, 0)
            return TR_BAD
        u.amask = 0xFFFF
    if x.prefix[0] == 0xF0:
        # LOCK: only on the read-modify-write instructions, to memory.
        if not (flags & T_LOCKABLE) or nops == 0 or not is_mem(o0):
            fault_uop(u, FAULT_UD, 0)
            return TR_BAD
    size = o0.size if nops > 0 else (2 if x.prefix[2] == 0x66 else 4)
    u.size = size

    if kind == K_MOV:
        if is_gpr(o0):
            u.r1 = REG_OFF[o0.reg]
            if is_gpr(o1):
                u.r2 = REG_OFF[o1.reg]
                u.op = OP_MOV32_RR if size == 4 else OP_MOV_RR
            elif is_imm(o1):
                u.imm = <uint32_t>o1.imm & size_mask(size)
                u.op = OP_MOV32_RI if size == 4 else OP_MOV_RI
            elif is_mem(o1):
                if set_mem(u, o1) < 0:
                    return bad_form(u)
                u.op = OP_LOAD32 if size == 4 else OP_LOAD
            elif is_class(o1, RC_SEG):
                return callout(u, CO_MOV_FROM_SREG, REG_NUM[o1.reg], TR_OK)
            elif is_class(o1, RC_CR):
                return callout(u, CO_MOV_FROM_CR, REG_NUM[o1.reg], TR_OK)
            elif is_class(o1, RC_DR):
                return callout(u, CO_MOV_FROM_DR, REG_NUM[o1.reg], TR_OK)
            else:
                return bad_form(u)
        elif is_mem(o0):
            if set_mem(u, o0) < 0:
                return bad_form(u)
            if is_gpr(o1):
                u.r2 = REG_OFF[o1.reg]
                u.op = OP_STORE32 if size == 4 else OP_STORE
            elif is_imm(o1):
                u.imm = <uint32_t>o1.imm & size_mask(size)
                u.op = OP_STORE_I
            elif is_class(o1, RC_SEG):
                return callout(u, CO_MOV_FROM_SREG, REG_NUM[o1.reg], TR_OK)
            else:
                return bad_form(u)
        elif is_class(o0, RC_SEG):
            if REG_NUM[o0.reg] == S_CS:
                fault_uop(u, FAULT_UD, 0)
                return TR_BAD
            if is_gpr(o1):
                u.r1 = REG_OFF[o1.reg]
            elif not is_mem(o1) or set_mem(u, o1) < 0:
                return bad_form(u)
            return callout(u, CO_MOV_TO_SREG, REG_NUM[o0.reg], TR_OK)
        elif is_class(o0, RC_CR) and is_gpr(o1):
            u.r1 = REG_OFF[o1.reg]
            return callout(u, CO_MOV_TO_CR, REG_NUM[o0.reg], TR_END)
        elif is_class(o0, RC_DR) and is_gpr(o1):
            u.r1 = REG_OFF[o1.reg]
            return callout(u, CO_MOV_TO_DR, REG_NUM[o0.reg], TR_OK)
        else:
            return bad_form(u)
        if u.op == OP_FAULT:
            return TR_BAD
        return st
    if kind == K_MOVX:
        u.r1 = REG_OFF[o0.reg]
        u.aux = o1.size
        if is_gpr(o1):
            u.r2 = REG_OFF[o1.reg]
            u.op = OP_MOVX_R
        elif set_mem(u, o1) == 0:
            u.op = OP_MOVX_M
            u.aux = o1.size
        else:
            return bad_form(u)
        return st
    if kind == K_LEA:
        if not is_mem(o1) or set_mem(u, o1) < 0:
            return bad_form(u)
        u.r1 = REG_OFF[o0.reg]
        u.seg = S_NONE
        u.op = OP_LEA
        return st
    if kind == K_XCHG:
        if is_gpr(o0) and is_gpr(o1):
            u.r1 = REG_OFF[o0.reg]
            u.r2 = REG_OFF[o1.reg]
            u.op = OP_XCHG_RR
        elif is_mem(o0) and is_gpr(o1) and set_mem(u, o0) == 0:
            u.r1 = REG_OFF[o1.reg]
            u.op = OP_XCHG_RM
        elif is_gpr(o0) and is_mem(o1) and set_mem(u, o1) == 0:
            u.r1 = REG_OFF[o0.reg]
            u.op = OP_XCHG_RM
        else:
            return bad_form(u)
        return st
    if kind == K_BSWAP:
        if size != 4:
            return bad_form(u)      # BSWAP r16 is undefined
        u.r1 = REG_OFF[o0.reg]
        u.op = OP_BSWAP
        return st
    if kind == K_CMOV or kind == K_BSF:
        u.r1 = REG_OFF[o0.reg]
        if is_gpr(o1):
            u.r2 = REG_OFF[o1.reg]
            u.op = OP_CMOV_R if kind == K_CMOV else OP_BSF_R
        elif set_mem(u, o1) == 0:
            u.op = OP_CMOV_M if kind == K_CMOV else OP_BSF_M
        else:
            return bad_form(u)
        return st
    if kind == K_SETCC:
        return rm_form(u, o0, OP_SETCC_R, OP_SETCC_M, st)
    if kind == K_XADD or kind == K_CMPXCHG:
        u.r2 = REG_OFF[o1.reg]
        if kind == K_XADD:
            return rm_form(u, o0, OP_XADD_R, OP_XADD_M, st)
        return rm_form(u, o0, OP_CMPXCHG_R, OP_CMPXCHG_M, st)
    if kind == K_CMPXCHG8B:
        if not is_mem(o0) or set_mem(u, o0) < 0:
            fault_uop(u, FAULT_UD, 0)
            return TR_BAD
        u.op = OP_CMPXCHG8B
        return st
    if kind == K_ALU:
        return translate_alu(u, o0, o1, size, sub, st)
    if kind == K_UNARY:
        if size == 4 and is_gpr(o0) and (sub == UN_INC or sub == UN_DEC):
            u.r1 = REG_OFF[o0.reg]
            u.op = OP_INC32_R if sub == UN_INC else OP_DEC32_R
            return st
        return rm_form(u, o0, OP_UNARY_R, OP_UNARY_M, st)
    if kind == K_SHIFT:
        if nops < 2:
            u.imm = 1
        elif is_imm(o1):
            u.imm = <uint32_t>o1.imm & 0xFF
        elif is_gpr(o1):
            u.aux = 1      # count in CL
        else:
            return bad_form(u)
        if size == 4 and is_gpr(o0) and not u.aux and 1 <= (u.imm & 31) and \
                (sub == SH_SHL or sub == SH_SHR or sub == SH_SAR):
            u.r1 = REG_OFF[o0.reg]
            u.imm &= 31
            u.op = OP_SHL32_RI if sub == SH_SHL else (OP_SHR32_RI if sub == SH_SHR else OP_SAR32_RI)
            return st
        return rm_form_keep_aux(u, o0, OP_SHIFT_R, OP_SHIFT_M, st)
    if kind == K_SHD:
        u.r2 = REG_OFF[o1.reg]
        if nops >= 3 and is_imm(o2):
            u.imm = <uint32_t>o2.imm & 0xFF
        else:
            u.aux = 1
        return rm_form_keep_aux(u, o0, OP_SHD_R, OP_SHD_M, st)
    if kind == K_MULDIV:
        return rm_form(u, o0, OP_MULDIV_R, OP_MULDIV_M, st)
    if kind == K_IMUL:
        if nops == 1:
            return rm_form(u, o0, OP_MULDIV_R, OP_MULDIV_M, st)
        # Two-operand r1 = r1 * src; three-operand r1 = src * imm (aux = 1).
        u.r1 = REG_OFF[o0.reg]
        if nops == 3:
            u.imm = <uint32_t>o2.imm & size_mask(size)
        if is_gpr(o1):
            u.r2 = REG_OFF[o1.reg]
            u.op = OP_IMUL_RR
        elif set_mem(u, o1) == 0:
            u.op = OP_IMUL_RM
        else:
            return bad_form(u)
        u.aux = 1 if nops == 3 else 0     # set_mem set bit 0: overwrite it
        return st
    if kind == K_BT:
        if is_imm(o1):
            u.imm = <uint32_t>o1.imm & 0xFF
        else:
            u.r2 = REG_OFF[o1.reg]
            u.aux = 1
        return rm_form_keep_aux(u, o0, OP_BT_R, OP_BT_M, st)
    if kind == K_PUSH:
        if is_class(o0, RC_SEG):
            # capstone gives the register's size (2); the stack slot follows
            # the operand size.
            u.size = 2 if x.prefix[2] == 0x66 else 4
            return callout(u, CO_PUSH_SREG, REG_NUM[o0.reg], TR_OK)
        if is_imm(o0):
            u.imm = <uint32_t>o0.imm & size_mask(size)
            u.op = OP_PUSH_I
            return st
        if size == 4 and is_gpr(o0):
            u.r1 = REG_OFF[o0.reg]
            u.op = OP_PUSH32_R
            return st
        return rm_form(u, o0, OP_PUSH_R, OP_PUSH_M, st)
    if kind == K_POP:
        if is_class(o0, RC_SEG):
            if REG_NUM[o0.reg] == S_CS:
                fault_uop(u, FAULT_UD, 0)
                return TR_BAD
            u.size = 2 if x.prefix[2] == 0x66 else 4
            return callout(u, CO_POP_SREG, REG_NUM[o0.reg], TR_OK)
        if size == 4 and is_gpr(o0):
            u.r1 = REG_OFF[o0.reg]
            u.op = OP_POP32_R
            return st
        return rm_form(u, o0, OP_POP_R, OP_POP_M, st)
    if kind == K_PUSHA or kind == K_POPA:
        u.size = sub
        u.op = OP_PUSHA if kind == K_PUSHA else OP_POPA
        return st
    if kind == K_ENTER:
        u.imm = <uint32_t>o0.imm & 0xFFFF
        u.imm2 = <uint32_t>o1.imm & 0xFF
        u.size = 2 if x.prefix[2] == 0x66 else 4
        u.op = OP_ENTER
        return st
    if kind == K_LEAVE or kind == K_CBW or kind == K_CWD:
        u.size = 2 if x.prefix[2] == 0x66 else 4
        u.op = OP_LEAVE if kind == K_LEAVE else (OP_CBW if kind == K_CBW else OP_CWD)
        return st
    if kind == K_FLAGOP:
        u.op = OP_FLAGOP
        return st
    if kind == K_XLAT:
        u.seg = S_DS
        if nops > 0 and is_mem(o0) and o0.mem.segment != X86_REG_INVALID:
            u.seg = REG_NUM[o0.mem.segment]
        u.op = OP_XLAT
        return st
    if kind == K_NOP:
        u.op = OP_NOP
        return st
    if kind == K_JMP or kind == K_CALL:
        return translate_near_branch(u, x, o0, kind == K_CALL, x.prefix[2] == 0x66)
    if kind == K_LJMP or kind == K_LCALL:
        u.size = 2 if x.prefix[2] == 0x66 else 4
        if is_mem(o0):
            # FF /3, FF /5: through an m16:32 (m16:16) pointer in memory.
            if set_mem(u, o0) < 0:
                return bad_form(u)
            u.op = OP_CALLOUT
            u.sub = CO_CALL_FAR if kind == K_LCALL else CO_JMP_FAR
            return TR_END
        if nops < 2 or not is_imm(o0) or not is_imm(o1):
            return bad_form(u)
        u.disp = <uint32_t>o0.imm & 0xFFFF
        u.imm = <uint32_t>o1.imm
        return far_imm(u, kind == K_LCALL)
    if kind == K_JCC or kind == K_LOOP:
        u.imm = <uint32_t>o0.imm
        if x.prefix[2] == 0x66:
            u.imm &= 0xFFFF
        u.op = OP_JCC if kind == K_JCC else OP_LOOP
        if kind == K_LOOP and x.prefix[3] == 0x67:
            u.aux = 2       # the count is CX
        return TR_END
    if kind == K_RET:
        u.imm = (<uint32_t>o0.imm & 0xFFFF) if nops > 0 else 0
        u.size = 2 if x.prefix[2] == 0x66 else 4
        u.op = OP_RET
        return TR_END
    if kind == K_STRING:
        return translate_string(u, x, insn, sub)
    if kind == K_CLI or kind == K_STI:
        u.op = OP_CLI if kind == K_CLI else OP_STI
        return st
    if kind == K_PUSHF or kind == K_POPF:
        u.size = sub
        u.op = OP_PUSHF if kind == K_PUSHF else OP_POPF
        return st
    if kind == K_IN or kind == K_OUT:
        if kind == K_IN:
            u.size = o0.size
            if is_imm(o1):
                u.imm = <uint32_t>o1.imm & 0xFF
            else:
                u.aux = 1
        else:
            u.size = o1.size
            if is_imm(o0):
                u.imm = <uint32_t>o0.imm & 0xFF
            else:
                u.aux = 1
        u.op = OP_IN if kind == K_IN else OP_OUT
        return st
    if kind == K_UD:
        fault_uop(u, FAULT_UD, 0)
        return TR_BAD
    if kind == K_BCD:
        u.imm = (<uint32_t>o0.imm & 0xFF) if nops > 0 else 10
        u.op = OP_BCD
        return st
    if kind == K_ARPL:
        if nops < 2 or not is_gpr(o1):
            return bad_form(u)
        u.r2 = REG_OFF[o1.reg]
        return rm_form(u, o0, OP_ARPL, OP_ARPL, st)
    if kind == K_BOUND:
        if nops < 2 or not is_gpr(o0) or not is_mem(o1) or set_mem(u, o1) < 0:
            return bad_form(u)
        u.r1 = REG_OFF[o0.reg]
        u.size = o0.size
        u.op = OP_BOUND
        return st
    if kind == K_CALLOUT:
        return translate_callout(u, x, iid, sub, st)
    fault_uop(u, FAULT_UNSUPPORTED, iid)
    return TR_BAD

cdef inline int bad_form(Uop *u) noexcept nogil:
    fault_uop(u, FAULT_UD, 0)
    return TR_BAD

cdef inline int callout(Uop *u, int co, uint32_t arg, int st) noexcept nogil:
    u.op = OP_CALLOUT
    u.sub = co
    u.imm = arg
    return st

cdef inline int rm_form(Uop *u, cs_x86_op *o, int op_r, int op_m, int st) noexcept nogil:
    u.aux = 0
    return rm_form_keep_aux(u, o, op_r, op_m, st)

cdef inline int rm_form_keep_aux(Uop *u, cs_x86_op *o, int op_r, int op_m, int st) noexcept nogil:
    """Operand 0 is a register (op_r) or memory (op_m); aux bit 0 is kept
    for register-or-CL counts, memory forms use seg/base/index fields."""
    cdef uint8_t aux = u.aux
    if is_gpr(o):
        u.r1 = REG_OFF[o.reg]
        u.op = op_r
        return st
    if is_mem(o) and set_mem(u, o) == 0:
        u.aux = aux
        u.op = op_m
        return st
    return bad_form(u)

cdef int translate_alu(Uop *u, cs_x86_op *o0, cs_x86_op *o1, uint32_t size,
                       uint32_t sub, int st) noexcept nogil:
    if is_gpr(o0):
        u.r1 = REG_OFF[o0.reg]
        if is_gpr(o1):
            u.r2 = REG_OFF[o1.reg]
            u.op = OP_ALU_RR
            if size == 4:
                if sub == ALU_ADD:
                    u.op = OP_ADD32_RR
                elif sub == ALU_SUB:
                    u.op = OP_SUB32_RR
                elif sub == ALU_CMP:
                    u.op = OP_CMP32_RR
                elif sub == ALU_XOR:
                    u.op = OP_XOR32_RR
                elif sub == ALU_TEST:
                    u.op = OP_TEST32_RR
        elif is_imm(o1):
            u.imm = <uint32_t>o1.imm & size_mask(size)
            u.op = OP_ALU_RI
            if size == 4:
                if sub == ALU_ADD:
                    u.op = OP_ADD32_RI
                elif sub == ALU_SUB:
                    u.op = OP_SUB32_RI
                elif sub == ALU_CMP:
                    u.op = OP_CMP32_RI
                elif sub == ALU_AND:
                    u.op = OP_AND32_RI
        elif is_mem(o1) and set_mem(u, o1) == 0:
            u.op = OP_CMP32_RM if (size == 4 and sub == ALU_CMP) else OP_ALU_RM
        else:
            return bad_form(u)
        return st
    if is_mem(o0) and set_mem(u, o0) == 0:
        if is_gpr(o1):
            u.r2 = REG_OFF[o1.reg]
            u.op = OP_ALU_MR
        elif is_imm(o1):
            u.imm = <uint32_t>o1.imm & size_mask(size)
            u.op = OP_ALU_MI
        else:
            return bad_form(u)
        return st
    return bad_form(u)

cdef int translate_near_branch(Uop *u, cs_x86 *x, cs_x86_op *o0, bint is_call,
                               bint opsize16) noexcept nogil:
    u.size = 2 if opsize16 else 4
    if is_imm(o0):
        u.imm = <uint32_t>o0.imm
        if opsize16:
            u.imm &= 0xFFFF
        u.op = OP_CALL if is_call else OP_JMP
        return TR_END
    if is_gpr(o0):
        u.r1 = REG_OFF[o0.reg]
        u.op = OP_CALL_R if is_call else OP_JMP_R
        return TR_END
    if is_mem(o0) and set_mem(u, o0) == 0:
        if x.opcode[0] == 0xFF and ((x.modrm >> 3) & 7) in (3, 5):
            # FF /3, FF /5: far CALL/JMP through a m16:32 (or m16:16) pointer.
            # (capstone names FF /3 "call" with a 4-byte operand: go by ModRM.)
            u.op = OP_CALLOUT
            u.sub = CO_CALL_FAR if is_call else CO_JMP_FAR
            return TR_END
        u.op = OP_CALL_M if is_call else OP_JMP_M
        return TR_END
    return bad_form(u)

cdef inline int far_imm(Uop *u, bint is_call) noexcept nogil:
    u.op = OP_CALLOUT
    u.sub = CO_CALL_FAR if is_call else CO_JMP_FAR
    u.aux = 0
    return TR_END

cdef int translate_string(Uop *u, cs_x86 *x, cs_insn *insn, uint32_t sub) noexcept nogil:
    cdef uint8_t opc = x.opcode[0]
    cdef int i
    cdef cs_x86_op *o
    # MOVSD and CMPSD share capstone ids with SSE2 instructions.
    if opc < 0x6C or (opc > 0x6F and opc < 0xA4) or opc > 0xAF:
        fault_uop(u, FAULT_UNSUPPORTED, insn.id)
        return TR_BAD
    u.size = 1 if (opc & 1) == 0 else (2 if x.prefix[2] == 0x66 else 4)
    u.seg = S_DS
    for i in range(x.op_count):
        o = &x.operands[i]
        if o.type == X86_OP_MEM and o.mem.base == X86_REG_ESI \
                and o.mem.segment != X86_REG_INVALID:
            u.seg = REG_NUM[o.mem.segment]
    if x.prefix[0] == 0xF3:
        u.aux = REP_REPE
    elif x.prefix[0] == 0xF2:
        u.aux = REP_REPNE if (sub == STR_CMPS or sub == STR_SCAS) else REP_REPE
    u.sub = sub
    u.op = OP_STRING
    return TR_OK

cdef int translate_callout(Uop *u, cs_x86 *x, unsigned int iid, uint32_t co, int st) noexcept nogil:
    cdef cs_x86_op *o0 = &x.operands[0]
    cdef cs_x86_op *o1 = &x.operands[1]
    cdef int nops = x.op_count
    u.op = OP_CALLOUT
    u.sub = co
    if co == CO_LGDT or co == CO_LIDT or co == CO_SGDT or co == CO_SIDT or co == CO_INVLPG:
        if nops < 1 or not is_mem(o0) or set_mem(u, o0) < 0:
            return bad_form(u)
        u.size = 2 if x.prefix[2] == 0x66 else 4
    elif co == CO_LLDT or co == CO_LTR or co == CO_SLDT or co == CO_STR \
            or co == CO_SMSW or co == CO_LMSW:
        if nops < 1:
            return bad_form(u)
        if is_gpr(o0):
            u.r1 = REG_OFF[o0.reg]
            u.size = o0.size
        elif not is_mem(o0) or set_mem(u, o0) < 0:
            return bad_form(u)
    elif co == CO_LAR or co == CO_LSL:
        # LAR/LSL r, r/m16: the selector is read as 16 bits.
        if nops < 2 or not is_gpr(o0):
            return bad_form(u)
        u.r1 = REG_OFF[o0.reg]
        u.size = o0.size
        if is_gpr(o1):
            u.r2 = REG_OFF[o1.reg]
        elif not is_mem(o1) or set_mem(u, o1) < 0:
            return bad_form(u)
    elif co == CO_VERR or co == CO_VERW:
        if nops < 1:
            return bad_form(u)
        if is_gpr(o0):
            u.r2 = REG_OFF[o0.reg]
        elif not is_mem(o0) or set_mem(u, o0) < 0:
            return bad_form(u)
    elif co == CO_LOAD_FAR_PTR:
        if nops < 2 or not is_mem(o1) or set_mem(u, o1) < 0:
            return bad_form(u)
        u.r1 = REG_OFF[o0.reg]
        u.size = o0.size
        if iid == X86_INS_LDS:
            u.imm = S_DS
        elif iid == X86_INS_LES:
            u.imm = S_ES
        elif iid == X86_INS_LFS:
            u.imm = S_FS
        elif iid == X86_INS_LGS:
            u.imm = S_GS
        else:
            u.imm = S_SS
    elif co == CO_RETF:
        u.imm = (<uint32_t>o0.imm & 0xFFFF) if nops > 0 else 0
        u.size = 2 if x.prefix[2] == 0x66 else 4
    elif co == CO_IRET:
        u.size = 2 if iid == X86_INS_IRET else 4
    elif co == CO_INT:
        if iid == X86_INS_INT:
            u.imm = <uint32_t>o0.imm & 0xFF
        elif iid == X86_INS_INT3:
            u.imm = 3
        elif iid == X86_INS_INTO:
            u.imm = 4
        else:
            u.imm = 1
    return st
