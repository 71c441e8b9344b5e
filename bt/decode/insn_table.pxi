# THE instruction table: for every instruction bt knows, its translation
# kind, a sub-operation, and whether it is sensitive (rewritten into a VMM
# callout), ends a block, or may carry a LOCK prefix. An instruction that is
# not listed is not implemented: translating it stops the run with
# "unsupported instruction" (invalid encodings give "invalid opcode").
#
# MOV, PUSH and POP are listed as innocuous; the translator turns their forms
# with a segment, control or debug register into the callouts named in the
# T_SYSREG_FORMS note below.

cdef enum:
    K_NONE = 0
    K_MOV
    K_MOVX
    K_LEA
    K_XCHG
    K_BSWAP
    K_CMOV
    K_SETCC
    K_XADD
    K_CMPXCHG
    K_CMPXCHG8B
    K_ALU
    K_UNARY
    K_SHIFT
    K_SHD
    K_MULDIV
    K_IMUL
    K_BT
    K_BSF
    K_PUSH
    K_POP
    K_PUSHA
    K_POPA
    K_ENTER
    K_LEAVE
    K_CBW
    K_CWD
    K_FLAGOP
    K_XLAT
    K_NOP
    K_JMP
    K_LJMP
    K_JCC
    K_CALL
    K_LCALL
    K_RET
    K_LOOP
    K_STRING
    K_CLI
    K_STI
    K_PUSHF
    K_POPF
    K_IN
    K_OUT
    K_CALLOUT
    K_UD
    K_BCD
    K_BOUND
    K_ARPL
    K_COUNT

cdef enum:
    T_SENSITIVE = 1       # rewritten into a callout against the virtual CPU
    T_ENDS_BLOCK = 2      # the block ends after it
    T_LOCKABLE = 4        # LOCK allowed (with a memory destination)
    T_SYSREG_FORMS = 8    # innocuous, except forms naming a system register

# (capstone id, kind, sub, flags, callout kind or -1)
INSN_TABLE = [
    # data movement
    (X86_INS_MOV, K_MOV, 0, T_SYSREG_FORMS, -1),
    (X86_INS_MOVZX, K_MOVX, 0, 0, -1),
    (X86_INS_MOVSX, K_MOVX, 1, 0, -1),
    (X86_INS_LEA, K_LEA, 0, 0, -1),
    (X86_INS_XCHG, K_XCHG, 0, T_LOCKABLE, -1),
    (X86_INS_BSWAP, K_BSWAP, 0, 0, -1),
    (X86_INS_XADD, K_XADD, 0, T_LOCKABLE, -1),
    (X86_INS_CMPXCHG, K_CMPXCHG, 0, T_LOCKABLE, -1),
    (X86_INS_CMPXCHG8B, K_CMPXCHG8B, 0, T_LOCKABLE, -1),
    (X86_INS_CMOVO, K_CMOV, 0, 0, -1),
    (X86_INS_CMOVNO, K_CMOV, 1, 0, -1),
    (X86_INS_CMOVB, K_CMOV, 2, 0, -1),
    (X86_INS_CMOVAE, K_CMOV, 3, 0, -1),
    (X86_INS_CMOVE, K_CMOV, 4, 0, -1),
    (X86_INS_CMOVNE, K_CMOV, 5, 0, -1),
    (X86_INS_CMOVBE, K_CMOV, 6, 0, -1),
    (X86_INS_CMOVA, K_CMOV, 7, 0, -1),
    (X86_INS_CMOVS, K_CMOV, 8, 0, -1),
    (X86_INS_CMOVNS, K_CMOV, 9, 0, -1),
    (X86_INS_CMOVP, K_CMOV, 10, 0, -1),
    (X86_INS_CMOVNP, K_CMOV, 11, 0, -1),
    (X86_INS_CMOVL, K_CMOV, 12, 0, -1),
    (X86_INS_CMOVGE, K_CMOV, 13, 0, -1),
    (X86_INS_CMOVLE, K_CMOV, 14, 0, -1),
    (X86_INS_CMOVG, K_CMOV, 15, 0, -1),
    (X86_INS_SETO, K_SETCC, 0, 0, -1),
    (X86_INS_SETNO, K_SETCC, 1, 0, -1),
    (X86_INS_SETB, K_SETCC, 2, 0, -1),
    (X86_INS_SETAE, K_SETCC, 3, 0, -1),
    (X86_INS_SETE, K_SETCC, 4, 0, -1),
    (X86_INS_SETNE, K_SETCC, 5, 0, -1),
    (X86_INS_SETBE, K_SETCC, 6, 0, -1),
    (X86_INS_SETA, K_SETCC, 7, 0, -1),
    (X86_INS_SETS, K_SETCC, 8, 0, -1),
    (X86_INS_SETNS, K_SETCC, 9, 0, -1),
    (X86_INS_SETP, K_SETCC, 10, 0, -1),
    (X86_INS_SETNP, K_SETCC, 11, 0, -1),
    (X86_INS_SETL, K_SETCC, 12, 0, -1),
    (X86_INS_SETGE, K_SETCC, 13, 0, -1),
    (X86_INS_SETLE, K_SETCC, 14, 0, -1),
    (X86_INS_SETG, K_SETCC, 15, 0, -1),
    # arithmetic and logic
    (X86_INS_ADD, K_ALU, ALU_ADD, T_LOCKABLE, -1),
    (X86_INS_OR, K_ALU, ALU_OR, T_LOCKABLE, -1),
    (X86_INS_ADC, K_ALU, ALU_ADC, T_LOCKABLE, -1),
    (X86_INS_SBB, K_ALU, ALU_SBB, T_LOCKABLE, -1),
    (X86_INS_AND, K_ALU, ALU_AND, T_LOCKABLE, -1),
    (X86_INS_SUB, K_ALU, ALU_SUB, T_LOCKABLE, -1),
    (X86_INS_XOR, K_ALU, ALU_XOR, T_LOCKABLE, -1),
    (X86_INS_CMP, K_ALU, ALU_CMP, 0, -1),
    (X86_INS_TEST, K_ALU, ALU_TEST, 0, -1),
    (X86_INS_INC, K_UNARY, UN_INC, T_LOCKABLE, -1),
    (X86_INS_DEC, K_UNARY, UN_DEC, T_LOCKABLE, -1),
    (X86_INS_NEG, K_UNARY, UN_NEG, T_LOCKABLE, -1),
    (X86_INS_NOT, K_UNARY, UN_NOT, T_LOCKABLE, -1),
    (X86_INS_ROL, K_SHIFT, SH_ROL, 0, -1),
    (X86_INS_ROR, K_SHIFT, SH_ROR, 0, -1),
    (X86_INS_RCL, K_SHIFT, SH_RCL, 0, -1),
    (X86_INS_RCR, K_SHIFT, SH_RCR, 0, -1),
    (X86_INS_SHL, K_SHIFT, SH_SHL, 0, -1),
    (X86_INS_SAL, K_SHIFT, SH_SHL, 0, -1),
    (X86_INS_SHR, K_SHIFT, SH_SHR, 0, -1),
    (X86_INS_SAR, K_SHIFT, SH_SAR, 0, -1),
    (X86_INS_SHLD, K_SHD, 0, 0, -1),
    (X86_INS_SHRD, K_SHD, 1, 0, -1),
    (X86_INS_MUL, K_MULDIV, MD_MUL, 0, -1),
    (X86_INS_IMUL, K_IMUL, MD_IMUL, 0, -1),
    (X86_INS_DIV, K_MULDIV, MD_DIV, 0, -1),
    (X86_INS_IDIV, K_MULDIV, MD_IDIV, 0, -1),
    (X86_INS_BT, K_BT, BT_BT, 0, -1),
    (X86_INS_BTS, K_BT, BT_BTS, T_LOCKABLE, -1),
    (X86_INS_BTR, K_BT, BT_BTR, T_LOCKABLE, -1),
    (X86_INS_BTC, K_BT, BT_BTC, T_LOCKABLE, -1),
    (X86_INS_BSF, K_BSF, 0, 0, -1),
    (X86_INS_BSR, K_BSF, 1, 0, -1),
    (X86_INS_CBW, K_CBW, 0, 0, -1),
    (X86_INS_CWDE, K_CBW, 0, 0, -1),
    (X86_INS_CWD, K_CWD, 0, 0, -1),
    (X86_INS_CDQ, K_CWD, 0, 0, -1),
    (X86_INS_LAHF, K_FLAGOP, FO_LAHF, 0, -1),
    (X86_INS_SAHF, K_FLAGOP, FO_SAHF, 0, -1),
    (X86_INS_CLC, K_FLAGOP, FO_CLC, 0, -1),
    (X86_INS_STC, K_FLAGOP, FO_STC, 0, -1),
    (X86_INS_CMC, K_FLAGOP, FO_CMC, 0, -1),
    (X86_INS_CLD, K_FLAGOP, FO_CLD, 0, -1),
    (X86_INS_STD, K_FLAGOP, FO_STD, 0, -1),
    (X86_INS_SALC, K_FLAGOP, FO_SALC, 0, -1),
    (X86_INS_XLATB, K_XLAT, 0, 0, -1),
    (X86_INS_DAA, K_BCD, BCD_DAA, 0, -1),
    (X86_INS_DAS, K_BCD, BCD_DAS, 0, -1),
    (X86_INS_AAA, K_BCD, BCD_AAA, 0, -1),
    (X86_INS_AAS, K_BCD, BCD_AAS, 0, -1),
    (X86_INS_AAM, K_BCD, BCD_AAM, 0, -1),
    (X86_INS_AAD, K_BCD, BCD_AAD, 0, -1),
    (X86_INS_BOUND, K_BOUND, 0, 0, -1),
    (X86_INS_ARPL, K_ARPL, 0, 0, -1),
    (X86_INS_NOP, K_NOP, 0, 0, -1),
    (X86_INS_PAUSE, K_NOP, 0, 0, -1),
    (X86_INS_ENDBR32, K_NOP, 0, 0, -1),     # CET hints: NOPs on a CPU without CET
    (X86_INS_ENDBR64, K_NOP, 0, 0, -1),
    # stack
    (X86_INS_PUSH, K_PUSH, 0, T_SYSREG_FORMS, -1),
    (X86_INS_POP, K_POP, 0, T_SYSREG_FORMS, -1),
    (X86_INS_PUSHAL, K_PUSHA, 4, 0, -1),
    (X86_INS_PUSHAW, K_PUSHA, 2, 0, -1),
    (X86_INS_POPAL, K_POPA, 4, 0, -1),
    (X86_INS_POPAW, K_POPA, 2, 0, -1),
    (X86_INS_ENTER, K_ENTER, 0, 0, -1),
    (X86_INS_LEAVE, K_LEAVE, 0, 0, -1),
    # control transfer
    (X86_INS_JMP, K_JMP, 0, T_ENDS_BLOCK, -1),
    (X86_INS_JO, K_JCC, 0, T_ENDS_BLOCK, -1),
    (X86_INS_JNO, K_JCC, 1, T_ENDS_BLOCK, -1),
    (X86_INS_JB, K_JCC, 2, T_ENDS_BLOCK, -1),
    (X86_INS_JAE, K_JCC, 3, T_ENDS_BLOCK, -1),
    (X86_INS_JE, K_JCC, 4, T_ENDS_BLOCK, -1),
    (X86_INS_JNE, K_JCC, 5, T_ENDS_BLOCK, -1),
    (X86_INS_JBE, K_JCC, 6, T_ENDS_BLOCK, -1),
    (X86_INS_JA, K_JCC, 7, T_ENDS_BLOCK, -1),
    (X86_INS_JS, K_JCC, 8, T_ENDS_BLOCK, -1),
    (X86_INS_JNS, K_JCC, 9, T_ENDS_BLOCK, -1),
    (X86_INS_JP, K_JCC, 10, T_ENDS_BLOCK, -1),
    (X86_INS_JNP, K_JCC, 11, T_ENDS_BLOCK, -1),
    (X86_INS_JL, K_JCC, 12, T_ENDS_BLOCK, -1),
    (X86_INS_JGE, K_JCC, 13, T_ENDS_BLOCK, -1),
    (X86_INS_JLE, K_JCC, 14, T_ENDS_BLOCK, -1),
    (X86_INS_JG, K_JCC, 15, T_ENDS_BLOCK, -1),
    (X86_INS_CALL, K_CALL, 0, T_ENDS_BLOCK, -1),
    (X86_INS_RET, K_RET, 0, T_ENDS_BLOCK, -1),
    (X86_INS_LOOP, K_LOOP, 0, T_ENDS_BLOCK, -1),
    (X86_INS_LOOPE, K_LOOP, 1, T_ENDS_BLOCK, -1),
    (X86_INS_LOOPNE, K_LOOP, 2, T_ENDS_BLOCK, -1),
    (X86_INS_JECXZ, K_LOOP, 3, T_ENDS_BLOCK, -1),
    (X86_INS_JCXZ, K_LOOP, 3, T_ENDS_BLOCK, -1),
    # strings (INS/OUTS are port I/O: sensitive)
    (X86_INS_MOVSB, K_STRING, STR_MOVS, 0, -1),
    (X86_INS_MOVSW, K_STRING, STR_MOVS, 0, -1),
    (X86_INS_MOVSD, K_STRING, STR_MOVS, 0, -1),
    (X86_INS_STOSB, K_STRING, STR_STOS, 0, -1),
    (X86_INS_STOSW, K_STRING, STR_STOS, 0, -1),
    (X86_INS_STOSD, K_STRING, STR_STOS, 0, -1),
    (X86_INS_LODSB, K_STRING, STR_LODS, 0, -1),
    (X86_INS_LODSW, K_STRING, STR_LODS, 0, -1),
    (X86_INS_LODSD, K_STRING, STR_LODS, 0, -1),
    (X86_INS_CMPSB, K_STRING, STR_CMPS, 0, -1),
    (X86_INS_CMPSW, K_STRING, STR_CMPS, 0, -1),
    (X86_INS_CMPSD, K_STRING, STR_CMPS, 0, -1),
    (X86_INS_SCASB, K_STRING, STR_SCAS, 0, -1),
    (X86_INS_SCASW, K_STRING, STR_SCAS, 0, -1),
    (X86_INS_SCASD, K_STRING, STR_SCAS, 0, -1),
    (X86_INS_INSB, K_STRING, STR_INS, T_SENSITIVE, CO_INS),
    (X86_INS_INSW, K_STRING, STR_INS, T_SENSITIVE, CO_INS),
    (X86_INS_INSD, K_STRING, STR_INS, T_SENSITIVE, CO_INS),
    (X86_INS_OUTSB, K_STRING, STR_OUTS, T_SENSITIVE, CO_OUTS),
    (X86_INS_OUTSW, K_STRING, STR_OUTS, T_SENSITIVE, CO_OUTS),
    (X86_INS_OUTSD, K_STRING, STR_OUTS, T_SENSITIVE, CO_OUTS),
    # sensitive: interrupt flag, flags image, port I/O
    (X86_INS_CLI, K_CLI, 0, T_SENSITIVE, CO_CLI),
    (X86_INS_STI, K_STI, 0, T_SENSITIVE, CO_STI),
    (X86_INS_PUSHF, K_PUSHF, 2, T_SENSITIVE, CO_PUSHF),
    (X86_INS_PUSHFD, K_PUSHF, 4, T_SENSITIVE, CO_PUSHF),
    (X86_INS_POPF, K_POPF, 2, T_SENSITIVE, CO_POPF),
    (X86_INS_POPFD, K_POPF, 4, T_SENSITIVE, CO_POPF),
    (X86_INS_IN, K_IN, 0, T_SENSITIVE, CO_IN),
    (X86_INS_OUT, K_OUT, 0, T_SENSITIVE, CO_OUT),
    # sensitive: system state and far control transfers
    (X86_INS_HLT, K_CALLOUT, CO_HLT, T_SENSITIVE | T_ENDS_BLOCK, CO_HLT),
    (X86_INS_CPUID, K_CALLOUT, CO_CPUID, T_SENSITIVE, CO_CPUID),
    (X86_INS_RDTSC, K_CALLOUT, CO_RDTSC, T_SENSITIVE, CO_RDTSC),
    (X86_INS_LGDT, K_CALLOUT, CO_LGDT, T_SENSITIVE, CO_LGDT),
    (X86_INS_LIDT, K_CALLOUT, CO_LIDT, T_SENSITIVE, CO_LIDT),
    (X86_INS_SGDT, K_CALLOUT, CO_SGDT, T_SENSITIVE, CO_SGDT),
    (X86_INS_SIDT, K_CALLOUT, CO_SIDT, T_SENSITIVE, CO_SIDT),
    (X86_INS_LLDT, K_CALLOUT, CO_LLDT, T_SENSITIVE, CO_LLDT),
    (X86_INS_SLDT, K_CALLOUT, CO_SLDT, T_SENSITIVE, CO_SLDT),
    (X86_INS_LTR, K_CALLOUT, CO_LTR, T_SENSITIVE, CO_LTR),
    (X86_INS_STR, K_CALLOUT, CO_STR, T_SENSITIVE, CO_STR),
    (X86_INS_SMSW, K_CALLOUT, CO_SMSW, T_SENSITIVE, CO_SMSW),
    (X86_INS_LMSW, K_CALLOUT, CO_LMSW, T_SENSITIVE | T_ENDS_BLOCK, CO_LMSW),
    (X86_INS_CLTS, K_CALLOUT, CO_CLTS, T_SENSITIVE, CO_CLTS),
    (X86_INS_LDS, K_CALLOUT, CO_LOAD_FAR_PTR, T_SENSITIVE, CO_LOAD_FAR_PTR),
    (X86_INS_LES, K_CALLOUT, CO_LOAD_FAR_PTR, T_SENSITIVE, CO_LOAD_FAR_PTR),
    (X86_INS_LFS, K_CALLOUT, CO_LOAD_FAR_PTR, T_SENSITIVE, CO_LOAD_FAR_PTR),
    (X86_INS_LGS, K_CALLOUT, CO_LOAD_FAR_PTR, T_SENSITIVE, CO_LOAD_FAR_PTR),
    (X86_INS_LSS, K_CALLOUT, CO_LOAD_FAR_PTR, T_SENSITIVE, CO_LOAD_FAR_PTR),
    (X86_INS_LJMP, K_LJMP, 0, T_SENSITIVE | T_ENDS_BLOCK, CO_JMP_FAR),
    (X86_INS_LCALL, K_LCALL, 0, T_SENSITIVE | T_ENDS_BLOCK, CO_CALL_FAR),
    (X86_INS_RETF, K_CALLOUT, CO_RETF, T_SENSITIVE | T_ENDS_BLOCK, CO_RETF),
    (X86_INS_IRET, K_CALLOUT, CO_IRET, T_SENSITIVE | T_ENDS_BLOCK, CO_IRET),
    (X86_INS_IRETD, K_CALLOUT, CO_IRET, T_SENSITIVE | T_ENDS_BLOCK, CO_IRET),
    (X86_INS_INT, K_CALLOUT, CO_INT, T_SENSITIVE | T_ENDS_BLOCK, CO_INT),
    (X86_INS_INT3, K_CALLOUT, CO_INT, T_SENSITIVE | T_ENDS_BLOCK, CO_INT),
    (X86_INS_INTO, K_CALLOUT, CO_INT, T_SENSITIVE | T_ENDS_BLOCK, CO_INT),
    (X86_INS_INT1, K_CALLOUT, CO_INT, T_SENSITIVE | T_ENDS_BLOCK, CO_INT),
    (X86_INS_INVD, K_CALLOUT, CO_INVD, T_SENSITIVE, CO_INVD),
    (X86_INS_WBINVD, K_CALLOUT, CO_WBINVD, T_SENSITIVE, CO_WBINVD),
    (X86_INS_INVLPG, K_CALLOUT, CO_INVLPG, T_SENSITIVE | T_ENDS_BLOCK, CO_INVLPG),
    (X86_INS_RDMSR, K_CALLOUT, CO_RDMSR, T_SENSITIVE, CO_RDMSR),
    (X86_INS_WRMSR, K_CALLOUT, CO_WRMSR, T_SENSITIVE | T_ENDS_BLOCK, CO_WRMSR),
    (X86_INS_RDPMC, K_CALLOUT, CO_RDPMC, T_SENSITIVE, CO_RDPMC),
    (X86_INS_LAR, K_CALLOUT, CO_LAR, T_SENSITIVE, CO_LAR),
    (X86_INS_LSL, K_CALLOUT, CO_LSL, T_SENSITIVE, CO_LSL),
    (X86_INS_VERR, K_CALLOUT, CO_VERR, T_SENSITIVE, CO_VERR),
    (X86_INS_VERW, K_CALLOUT, CO_VERW, T_SENSITIVE, CO_VERW),
    (X86_INS_SYSENTER, K_CALLOUT, CO_SYSENTER, T_SENSITIVE | T_ENDS_BLOCK, CO_SYSENTER),
    (X86_INS_SYSEXIT, K_CALLOUT, CO_SYSEXIT, T_SENSITIVE | T_ENDS_BLOCK, CO_SYSEXIT),
    (X86_INS_UD2, K_UD, 0, T_ENDS_BLOCK, -1),
    (X86_INS_UD0, K_UD, 0, T_ENDS_BLOCK, -1),
    (X86_INS_UD1, K_UD, 0, T_ENDS_BLOCK, -1),
]

# Names of the callout kinds, for --stats and explain.
CALLOUT_NAMES = {
    CO_IN: "in", CO_OUT: "out", CO_INS: "ins", CO_OUTS: "outs",
    CO_CLI: "cli", CO_STI: "sti", CO_PUSHF: "pushf", CO_POPF: "popf",
    CO_HLT: "hlt", CO_CPUID: "cpuid", CO_RDTSC: "rdtsc",
    CO_LGDT: "lgdt", CO_LIDT: "lidt", CO_SGDT: "sgdt", CO_SIDT: "sidt",
    CO_LLDT: "lldt", CO_SLDT: "sldt", CO_LTR: "ltr", CO_STR: "str",
    CO_SMSW: "smsw", CO_LMSW: "lmsw", CO_CLTS: "clts",
    CO_MOV_TO_CR: "mov_to_cr", CO_MOV_FROM_CR: "mov_from_cr",
    CO_MOV_TO_DR: "mov_to_dr", CO_MOV_FROM_DR: "mov_from_dr",
    CO_MOV_TO_SREG: "mov_to_sreg", CO_MOV_FROM_SREG: "mov_from_sreg",
    CO_PUSH_SREG: "push_sreg", CO_POP_SREG: "pop_sreg",
    CO_LOAD_FAR_PTR: "load_far_ptr", CO_JMP_FAR: "jmp_far",
    CO_CALL_FAR: "call_far", CO_RETF: "retf", CO_IRET: "iret", CO_INT: "int",
    CO_INVD: "invd", CO_WBINVD: "wbinvd", CO_INVLPG: "invlpg",
    CO_RDMSR: "rdmsr", CO_WRMSR: "wrmsr", CO_RDPMC: "rdpmc",
    CO_LAR: "lar", CO_LSL: "lsl", CO_VERR: "verr", CO_VERW: "verw",
    CO_SYSENTER: "sysenter", CO_SYSEXIT: "sysexit",
}

cdef uint8_t TBL_KIND[X86_INS_ENDING]
cdef uint8_t TBL_SUB[X86_INS_ENDING]
cdef uint8_t TBL_FLAGS[X86_INS_ENDING]
cdef int16_t TBL_CALLOUT[X86_INS_ENDING]

cdef void init_insn_table() except *:
    cdef int i
    for i in range(X86_INS_ENDING):
        TBL_KIND[i] = K_NONE
        TBL_SUB[i] = 0
        TBL_FLAGS[i] = 0
        TBL_CALLOUT[i] = -1
    for ins, kind, sub, flags, callout in INSN_TABLE:
        TBL_KIND[ins] = kind
        TBL_SUB[ins] = sub
        TBL_FLAGS[ins] = flags
        TBL_CALLOUT[ins] = callout
