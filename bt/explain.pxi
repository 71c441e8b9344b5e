# `bt explain`: a block's guest instructions next to the micro-ops they
# became, with sensitive instructions marked by their callout.

OP_NAMES = {
    OP_NOP: "nop",
    OP_FAULT: "fault",
    OP_END: "end",
    OP_MOV_RR: "mov_rr",
    OP_MOV_RI: "mov_ri",
    OP_LOAD: "load",
    OP_STORE: "store",
    OP_STORE_I: "store_i",
    OP_MOV32_RR: "mov32_rr",
    OP_MOV32_RI: "mov32_ri",
    OP_LOAD32: "load32",
    OP_STORE32: "store32",
    OP_MOVX_R: "movx_r",
    OP_MOVX_M: "movx_m",
    OP_LEA: "lea",
    OP_XCHG_RR: "xchg_rr",
    OP_XCHG_RM: "xchg_rm",
    OP_BSWAP: "bswap",
    OP_CMOV_R: "cmov_r",
    OP_CMOV_M: "cmov_m",
    OP_SETCC_R: "setcc_r",
    OP_SETCC_M: "setcc_m",
    OP_XADD_R: "xadd_r",
    OP_XADD_M: "xadd_m",
    OP_CMPXCHG_R: "cmpxchg_r",
    OP_CMPXCHG_M: "cmpxchg_m",
    OP_CMPXCHG8B: "cmpxchg8b",
    OP_ALU_RR: "alu_rr",
    OP_ALU_RI: "alu_ri",
    OP_ALU_RM: "alu_rm",
    OP_ALU_MR: "alu_mr",
    OP_ALU_MI: "alu_mi",
    OP_ADD32_RR: "add32_rr",
    OP_ADD32_RI: "add32_ri",
    OP_SUB32_RR: "sub32_rr",
    OP_SUB32_RI: "sub32_ri",
    OP_CMP32_RR: "cmp32_rr",
    OP_CMP32_RI: "cmp32_ri",
    OP_CMP32_RM: "cmp32_rm",
    OP_AND32_RI: "and32_ri",
    OP_XOR32_RR: "xor32_rr",
    OP_TEST32_RR: "test32_rr",
    OP_INC32_R: "inc32_r",
    OP_DEC32_R: "dec32_r",
    OP_UNARY_R: "unary_r",
    OP_UNARY_M: "unary_m",
    OP_SHL32_RI: "shl32_ri",
    OP_SHR32_RI: "shr32_ri",
    OP_SAR32_RI: "sar32_ri",
    OP_SHIFT_R: "shift_r",
    OP_SHIFT_M: "shift_m",
    OP_SHD_R: "shd_r",
    OP_SHD_M: "shd_m",
    OP_MULDIV_R: "muldiv_r",
    OP_MULDIV_M: "muldiv_m",
    OP_IMUL_RR: "imul_rr",
    OP_IMUL_RM: "imul_rm",
    OP_BT_R: "bt_r",
    OP_BT_M: "bt_m",
    OP_BSF_R: "bsf_r",
    OP_BSF_M: "bsf_m",
    OP_PUSH_R: "push_r",
    OP_PUSH_I: "push_i",
    OP_PUSH_M: "push_m",
    OP_POP_R: "pop_r",
    OP_POP_M: "pop_m",
    OP_PUSH32_R: "push32_r",
    OP_POP32_R: "pop32_r",
    OP_PUSHA: "pusha",
    OP_POPA: "popa",
    OP_ENTER: "enter",
    OP_LEAVE: "leave",
    OP_CBW: "cbw",
    OP_CWD: "cwd",
    OP_FLAGOP: "flagop",
    OP_XLAT: "xlat",
    OP_BCD: "bcd",
    OP_BOUND: "bound",
    OP_ARPL: "arpl",
    OP_JMP: "jmp",
    OP_JCC: "jcc",
    OP_JMP_R: "jmp_r",
    OP_JMP_M: "jmp_m",
    OP_CALL: "call",
    OP_CALL_R: "call_r",
    OP_CALL_M: "call_m",
    OP_RET: "ret",
    OP_LOOP: "loop",
    OP_STRING: "string",
    OP_CLI: "cli",
    OP_STI: "sti",
    OP_PUSHF: "pushf",
    OP_POPF: "popf",
    OP_IN: "in",
    OP_OUT: "out",
    OP_CALLOUT: "callout",
}

FAULT_NAMES = {FAULT_UD: "#UD", FAULT_DE: "#DE", FAULT_UNSUPPORTED: "unsupported",
               FAULT_GP: "#GP", FAULT_EXEC_OUTSIDE_RAM: "outside-RAM",
               FAULT_MODE: "mode", FAULT_ADDR16: "addr16",
               FAULT_BR: "#BR", FAULT_SS: "#SS", FAULT_NP: "#NP",
               FAULT_TRIPLE: "triple", FAULT_GATE: "gate"}

REG32 = ("eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "0")
REG8 = ("al", "ah", "?", "?", "cl", "ch", "?", "?", "dl", "dh", "?", "?", "bl", "bh")


cdef str reg_text(uint32_t off, uint32_t size):
    if size == 1:
        return REG8[off] if off < len(REG8) else "?"
    name = REG32[off >> 2]
    return name[1:] if size == 2 else name


cdef str mem_text(Uop *u):
    parts = []
    if u.base != R_ZERO:
        parts.append(REG32[u.base])
    if u.index != R_ZERO:
        parts.append(f"{REG32[u.index]}*{1 << u.scale}")
    if u.disp or not parts:
        parts.append(f"0x{u.disp:x}")
    seg = "" if u.seg == S_NONE else SEG_NAMES[u.seg] + ":"
    return f"{seg}[{'+'.join(parts)}]"


# Why each callout kind exists: printed beside every rewritten instruction.
REASONS = {
    CO_CLI: "privileged (IOPL): the guest's IF is virtual, the real one stays with the VMM",
    CO_STI: "privileged (IOPL): the guest's IF is virtual, the real one stays with the VMM",
    CO_PUSHF: "sensitive, not privileged: outside Ring 0 it would reveal the real IF and IOPL",
    CO_POPF: "sensitive, not privileged: outside Ring 0 it would silently keep IF and IOPL",
    CO_IN: "privileged (IOPL, I/O bitmap): ports reach bt's device models",
    CO_OUT: "privileged (IOPL, I/O bitmap): ports reach bt's device models",
    CO_INS: "privileged (IOPL, I/O bitmap): ports reach bt's device models",
    CO_OUTS: "privileged (IOPL, I/O bitmap): ports reach bt's device models",
    CO_HLT: "privileged: the VMM decides what halting means",
    CO_CPUID: "reports bt's virtual CPU (vendor, features), not the host's",
    CO_RDTSC: "privileged with CR4.TSD: reads the virtual time-stamp counter",
    CO_LGDT: "privileged: loads the guest's (virtual) GDTR",
    CO_LIDT: "privileged: loads the guest's (virtual) IDTR",
    CO_SGDT: "sensitive, not privileged: outside Ring 0 it would reveal the host's GDTR",
    CO_SIDT: "sensitive, not privileged: outside Ring 0 it would reveal the host's IDTR",
    CO_LLDT: "privileged: loads the virtual LDTR from the guest's GDT",
    CO_SLDT: "sensitive, not privileged: outside Ring 0 it would reveal the host's LDTR",
    CO_LTR: "privileged: loads the virtual TR from the guest's GDT",
    CO_STR: "sensitive, not privileged: outside Ring 0 it would reveal the host's TR",
    CO_SMSW: "sensitive, not privileged: outside Ring 0 it would reveal the host's CR0",
    CO_LMSW: "privileged: writes the virtual CR0",
    CO_CLTS: "privileged: writes the virtual CR0.TS",
    CO_MOV_TO_CR: "privileged: writes a virtual control register; the mode may change, so the block ends",
    CO_MOV_FROM_CR: "privileged: reads a virtual control register",
    CO_MOV_TO_DR: "privileged: debug registers are virtual state",
    CO_MOV_FROM_DR: "privileged: debug registers are virtual state",
    CO_MOV_TO_SREG: "sensitive: reads the guest's GDT/LDT and checks it against the virtual CPL",
    CO_MOV_FROM_SREG: "sensitive, not privileged: the selector's RPL would reveal the real CPL",
    CO_PUSH_SREG: "sensitive, not privileged: the selector's RPL would reveal the real CPL",
    CO_POP_SREG: "sensitive: reads the guest's GDT/LDT and checks it against the virtual CPL",
    CO_LOAD_FAR_PTR: "sensitive: reads the guest's GDT/LDT and checks it against the virtual CPL",
    CO_JMP_FAR: "sensitive: loads CS from the guest's GDT; the CPL is virtual",
    CO_CALL_FAR: "sensitive: loads CS from the guest's GDT; the CPL is virtual",
    CO_RETF: "sensitive: loads CS from the guest's GDT; the CPL is virtual",
    CO_IRET: "sensitive: restores the virtual IF, IOPL and CS from the guest's stack",
    CO_INT: "sensitive: delivery goes through the guest's IDT, not the host's",
    CO_INVD: "privileged: cache control belongs to the VMM",
    CO_WBINVD: "privileged: cache control belongs to the VMM",
    CO_INVLPG: "privileged: the TLB belongs to the VMM",
    CO_RDMSR: "privileged: model-specific registers are virtual",
    CO_WRMSR: "privileged: model-specific registers are virtual",
    CO_RDPMC: "privileged (CR4.PCE): performance counters are virtual",
    CO_LAR: "sensitive, not privileged: the answer depends on the virtual CPL and the guest's GDT",
    CO_LSL: "sensitive, not privileged: the answer depends on the virtual CPL and the guest's GDT",
    CO_VERR: "sensitive, not privileged: the answer depends on the virtual CPL and the guest's GDT",
    CO_VERW: "sensitive, not privileged: the answer depends on the virtual CPL and the guest's GDT",
    CO_SYSENTER: "sensitive: switches to the virtual Ring 0 entry point in the SYSENTER MSRs",
    CO_SYSEXIT: "privileged: returns to the virtual Ring 3",
}
UOP_CALLOUT = {OP_CLI: CO_CLI, OP_STI: CO_STI, OP_PUSHF: CO_PUSHF, OP_POPF: CO_POPF,
               OP_IN: CO_IN, OP_OUT: CO_OUT}


cdef object callout_of(Uop *u):
    """The callout kind a micro-op stands for, or None if it is innocuous."""
    if u.op == OP_CALLOUT:
        return u.sub
    if u.op == OP_STRING and u.sub >= STR_INS:
        return CO_INS if u.sub == STR_INS else CO_OUTS
    return UOP_CALLOUT.get(u.op)


CONDS = ("o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g")
SUB_NAMES = {
    OP_ALU_RR: ("add", "or", "adc", "sbb", "and", "sub", "xor", "cmp", "test"),
    OP_UNARY_R: ("inc", "dec", "neg", "not"),
    OP_SHIFT_R: ("rol", "ror", "rcl", "rcr", "shl", "shr", "?", "sar"),
    OP_MULDIV_R: ("mul", "imul", "div", "idiv"),
    OP_BT_R: ("bt", "bts", "btr", "btc"),
    OP_FLAGOP: ("lahf", "sahf", "clc", "stc", "cmc", "cld", "std", "salc"),
    OP_STRING: ("movs", "stos", "lods", "cmps", "scas", "ins", "outs"),
}
SUB_NAMES[OP_ALU_RI] = SUB_NAMES[OP_ALU_RM] = SUB_NAMES[OP_ALU_MR] = SUB_NAMES[OP_ALU_MI] = SUB_NAMES[OP_ALU_RR]
SUB_NAMES[OP_UNARY_M] = SUB_NAMES[OP_UNARY_R]
SUB_NAMES[OP_SHIFT_M] = SUB_NAMES[OP_SHIFT_R]
SUB_NAMES[OP_MULDIV_M] = SUB_NAMES[OP_MULDIV_R]
SUB_NAMES[OP_BT_M] = SUB_NAMES[OP_BT_R]
COND_OPS = (OP_JCC, OP_CMOV_R, OP_CMOV_M, OP_SETCC_R, OP_SETCC_M)
MEM_FIRST = (OP_STORE, OP_STORE_I, OP_STORE32, OP_ALU_MR, OP_ALU_MI, OP_UNARY_M, OP_SHIFT_M,
             OP_SHD_M, OP_MULDIV_M, OP_BT_M, OP_SETCC_M, OP_XADD_M, OP_CMPXCHG_M,
             OP_CMPXCHG8B, OP_PUSH_M, OP_POP_M, OP_JMP_M, OP_CALL_M)
MEM_SECOND = (OP_LOAD, OP_LOAD32, OP_ALU_RM, OP_CMP32_RM, OP_MOVX_M, OP_LEA, OP_XCHG_RM,
              OP_CMOV_M, OP_IMUL_RM, OP_BSF_M)
NO_OPERANDS = (OP_NOP, OP_END, OP_PUSHA, OP_POPA, OP_LEAVE, OP_CBW, OP_CWD, OP_FLAGOP,
               OP_XLAT, OP_STRING, OP_CLI, OP_STI, OP_PUSHF, OP_POPF)


cdef str uop_text(Uop *u):
    """A micro-op as `name.size operands`, e.g. `add32_ri eax, 0x3`."""
    op = u.op
    name = OP_NAMES.get(op, "?")
    if op == OP_CALLOUT:
        return f"callout {CALLOUT_NAMES.get(u.sub, '?')}"
    if op == OP_FAULT:
        return f"fault {FAULT_NAMES.get(u.sub, '?')}"
    if op in (OP_CLI, OP_STI, OP_PUSHF, OP_POPF, OP_IN, OP_OUT):
        text = f"callout {name}"
        if op == OP_IN or op == OP_OUT:
            text += " dx" if u.aux & 1 else f" 0x{u.imm:x}"
        return text
    if op in SUB_NAMES:
        name = f"{name}:{SUB_NAMES[op][u.sub] if u.sub < len(SUB_NAMES[op]) else '?'}"
    elif op in COND_OPS:
        name = f"{name}:{CONDS[u.sub & 15]}"
    text = f"{name}.{u.size * 8}"
    if op in (OP_JCC, OP_LOOP):
        return f"{text} 0x{u.imm:08x} else 0x{u.imm2:08x}"
    if op in (OP_JMP, OP_CALL):
        return f"{text} 0x{u.imm:08x}"
    if op == OP_RET:
        return f"{text} {u.imm}" if u.imm else text
    if op == OP_STRING:
        rep = ("", " rep", " repne")[u.aux]
        if u.sub >= STR_INS:
            return f"callout {'ins' if u.sub == STR_INS else 'outs'}.{u.size * 8}{rep}"
        return text + rep
    if op in NO_OPERANDS:
        return text
    ops = []
    if op in MEM_FIRST:
        ops.append(mem_text(u))
    else:
        ops.append(reg_text(u.r1, u.size))
    if op in MEM_SECOND:
        ops.append(mem_text(u))
    elif op in (OP_MOV_RR, OP_MOV32_RR, OP_ADD32_RR, OP_SUB32_RR, OP_CMP32_RR, OP_XOR32_RR,
                OP_TEST32_RR, OP_ALU_RR, OP_XCHG_RR, OP_CMOV_R, OP_XADD_R, OP_CMPXCHG_R,
                OP_BSF_R, OP_IMUL_RR, OP_SHD_R, OP_STORE, OP_STORE32, OP_ALU_MR, OP_XADD_M,
                OP_CMPXCHG_M, OP_SHD_M):
        ops.append(reg_text(u.r2, u.size))
    elif op == OP_MOVX_R:
        ops.append(reg_text(u.r2, u.aux))
    if op in (OP_SHL32_RI, OP_SHR32_RI, OP_SAR32_RI, OP_MOV_RI, OP_MOV32_RI, OP_ADD32_RI, OP_SUB32_RI, OP_CMP32_RI, OP_AND32_RI,
              OP_ALU_RI, OP_ALU_MI, OP_STORE_I, OP_PUSH_I) or \
            (op in (OP_IMUL_RR, OP_IMUL_RM) and u.aux) or \
            (op in (OP_SHIFT_R, OP_SHIFT_M, OP_SHD_R, OP_SHD_M, OP_BT_R, OP_BT_M) and not u.aux & 1):
        ops.append(f"0x{u.imm:x}")
    elif op in (OP_SHIFT_R, OP_SHIFT_M, OP_SHD_R, OP_SHD_M):
        ops.append("cl")
    elif op in (OP_BT_R, OP_BT_M):
        ops.append(reg_text(u.r2, u.size))
    if op == OP_PUSH_I:
        ops = ops[1:]
    return f"{text} {', '.join(ops)}"


cdef str explain_block(VM *vm, Block *b):
    cdef cs_insn *insn = <cs_insn *>vm.cs_insn
    cdef const uint8_t *code
    cdef size_t avail
    cdef uint64_t addr
    cdef uint32_t i, phys
    cdef Uop *u
    lines = [f"block 0x{b.eip:08x}..0x{b.end_eip:08x} (phys 0x{b.phys:08x}, "
             f"{b.n_uops} instructions)"]
    for i in range(b.n_uops):
        u = &b.uops[i]
        phys = u.eip + b.cs_base
        text = "(undecodable)"
        if phys < vm.ram_size:
            code = vm.ram + phys
            avail = min(16, vm.ram_size - phys)
            addr = u.eip
            if decode_one(vm, &code, &avail, &addr):
                text = (insn.mnemonic.decode() + " " + insn.op_str.decode()).strip()
        co = callout_of(u)
        line = f"  {'*' if co is not None else ' '} {u.eip:08x}  {text:<36} {uop_text(u)}"
        if co is not None:
            line += f": {REASONS.get(co, 'sensitive')}"
        lines.append(line)
    return "\n".join(lines) + "\n"
