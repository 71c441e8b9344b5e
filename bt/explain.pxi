# `bt explain`: a block's guest instructions next to the micro-ops they
# became, with sensitive instructions marked by their callout.

OP_NAMES = (
    "nop",
    "fault",
    "mov_rr",
    "mov_ri",
    "load",
    "store",
    "store_i",
    "mov32_rr",
    "mov32_ri",
    "load32",
    "store32",
    "movx_r",
    "movx_m",
    "lea",
    "xchg_rr",
    "xchg_rm",
    "bswap",
    "cmov_r",
    "cmov_m",
    "setcc_r",
    "setcc_m",
    "xadd_r",
    "xadd_m",
    "cmpxchg_r",
    "cmpxchg_m",
    "cmpxchg8b",
    "alu_rr",
    "alu_ri",
    "alu_rm",
    "alu_mr",
    "alu_mi",
    "add32_rr",
    "add32_ri",
    "sub32_rr",
    "sub32_ri",
    "cmp32_rr",
    "cmp32_ri",
    "cmp32_rm",
    "and32_ri",
    "xor32_rr",
    "test32_rr",
    "inc32_r",
    "dec32_r",
    "unary_r",
    "unary_m",
    "shift_r",
    "shift_m",
    "shd_r",
    "shd_m",
    "muldiv_r",
    "muldiv_m",
    "imul_rr",
    "imul_rm",
    "bt_r",
    "bt_m",
    "bsf_r",
    "bsf_m",
    "push_r",
    "push_i",
    "push_m",
    "pop_r",
    "pop_m",
    "push32_r",
    "pop32_r",
    "pusha",
    "popa",
    "enter",
    "leave",
    "cbw",
    "cwd",
    "flagop",
    "xlat",
    "jmp",
    "jcc",
    "jmp_r",
    "jmp_m",
    "call",
    "call_r",
    "call_m",
    "ret",
    "loop",
    "string",
    "cli",
    "sti",
    "pushf",
    "popf",
    "in",
    "out",
    "callout",
)

FAULT_NAMES = {FAULT_UD: "#UD", FAULT_DE: "#DE", FAULT_UNSUPPORTED: "unsupported",
               FAULT_GP: "#GP", FAULT_EXEC_OUTSIDE_RAM: "outside-RAM",
               FAULT_INT: "int", FAULT_MODE: "mode", FAULT_ADDR16: "addr16"}

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


cdef str uop_text(Uop *u):
    name = OP_NAMES[u.op] if u.op < len(OP_NAMES) else "?"
    fields = [f"{name}.{u.size * 8}"]
    if u.op == OP_CALLOUT:
        fields = [f"callout {CALLOUT_NAMES.get(u.sub, '?')}"]
    elif u.op == OP_FAULT:
        fields = [f"fault {FAULT_NAMES.get(u.sub, '?')}"]
    elif u.op in (OP_JCC, OP_JMP, OP_CALL, OP_LOOP):
        fields.append(f"-> 0x{u.imm:08x}")
        if u.op in (OP_JCC, OP_LOOP):
            fields.append(f"else 0x{u.imm2:08x}")
        if u.op in (OP_JCC,):
            fields.append(f"cc={u.sub}")
        return " ".join(fields)
    elif u.op in (OP_CLI, OP_STI, OP_PUSHF, OP_POPF, OP_IN, OP_OUT):
        fields = [f"callout {name}" + (f".{u.size * 8}" if u.op >= OP_PUSHF else "")]
    if u.op in (OP_ALU_RR, OP_ALU_RI, OP_ALU_RM, OP_ALU_MR, OP_ALU_MI, OP_UNARY_R,
                OP_UNARY_M, OP_SHIFT_R, OP_SHIFT_M, OP_MULDIV_R, OP_MULDIV_M,
                OP_BT_R, OP_BT_M, OP_STRING, OP_FLAGOP, OP_CMOV_R, OP_CMOV_M,
                OP_SETCC_R, OP_SETCC_M):
        fields.append(f"sub={u.sub}")
    return " ".join(fields)


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
        mark = "*" if u.op in (OP_CALLOUT, OP_CLI, OP_STI, OP_PUSHF, OP_POPF, OP_IN, OP_OUT) \
            or (u.op == OP_STRING and u.sub >= STR_INS) else " "
        lines.append(f"  {mark} {u.eip:08x}  {text:<36} {uop_text(u)}")
    return "\n".join(lines) + "\n"
