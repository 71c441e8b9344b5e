# The micro-op: one translated guest instruction with every operand resolved.
#
# Executing a micro-op never looks at guest bytes again. Registers are byte
# offsets into CPUState.regs (see bt/cpu/state.pxd); a memory operand is
# seg:[base + index << scale + disp] with R_ZERO standing for "no register".
# One guest instruction becomes exactly one micro-op, so a fault or an exit
# in the middle of a block knows exactly how many instructions completed.
from libc.stdint cimport uint8_t, uint16_t, uint32_t

ctypedef struct Uop:
    uint16_t op       # OP_* handler
    uint8_t size      # operand size in bytes (1, 2, 4)
    uint8_t len       # guest instruction length
    uint8_t r1        # first register operand (byte offset into regs)
    uint8_t r2        # second register operand
    uint8_t sub       # ALU_* / condition code / CO_* callout / string op
    uint8_t seg       # S_* segment of the memory operand
    uint8_t base      # register index (not offset) or R_ZERO
    uint8_t index     # register index or R_ZERO
    uint8_t scale     # shift count 0..3
    uint8_t aux       # form bits, second size, rep kind
    uint32_t disp
    uint32_t imm
    uint32_t eip      # guest EIP of this instruction
    uint32_t imm2     # fall-through EIP, second immediate
    uint32_t amask    # effective-address mask: 0xFFFF with a 0x67 prefix

# Handlers. The *32 variants are specialisations of hot forms.
cdef enum:
    OP_NOP = 0
    OP_FAULT            # sub = FAULT_*: stop with a fault at this instruction
    OP_END              # block sentinel: continue at imm (the fall-through EIP)
    OP_MOV_RR
    OP_MOV_RI
    OP_LOAD
    OP_STORE
    OP_STORE_I
    OP_MOV32_RR
    OP_MOV32_RI
    OP_LOAD32
    OP_STORE32
    OP_MOVX_R           # MOVZX/MOVSX from a register; aux = source size, sub = 1 signed
    OP_MOVX_M
    OP_LEA
    OP_XCHG_RR
    OP_XCHG_RM
    OP_BSWAP
    OP_CMOV_R
    OP_CMOV_M
    OP_SETCC_R
    OP_SETCC_M
    OP_XADD_R
    OP_XADD_M
    OP_CMPXCHG_R
    OP_CMPXCHG_M
    OP_CMPXCHG8B
    OP_ALU_RR
    OP_ALU_RI
    OP_ALU_RM
    OP_ALU_MR
    OP_ALU_MI
    OP_ADD32_RR
    OP_ADD32_RI
    OP_SUB32_RR
    OP_SUB32_RI
    OP_CMP32_RR
    OP_CMP32_RI
    OP_CMP32_RM
    OP_AND32_RI
    OP_XOR32_RR
    OP_TEST32_RR
    OP_INC32_R
    OP_DEC32_R
    OP_UNARY_R          # sub = UN_*
    OP_UNARY_M
    OP_SHL32_RI         # shifts of a 32-bit register by an immediate 1..31
    OP_SHR32_RI
    OP_SAR32_RI
    OP_SHIFT_R          # sub = SH_*; aux & 1: count in CL, else imm
    OP_SHIFT_M
    OP_SHD_R            # SHLD (sub 0) / SHRD (sub 1); r2 = source
    OP_SHD_M
    OP_MULDIV_R         # sub = MD_*: one-operand MUL/IMUL/DIV/IDIV
    OP_MULDIV_M
    OP_IMUL_RR          # two/three-operand IMUL: r1 = r2 * (aux ? imm : r1)
    OP_IMUL_RM
    OP_BT_R             # sub = BT_*; aux & 1: offset in r2, else imm
    OP_BT_M
    OP_BSF_R            # sub 0 BSF, 1 BSR
    OP_BSF_M
    OP_PUSH_R
    OP_PUSH_I
    OP_PUSH_M
    OP_POP_R
    OP_POP_M
    OP_PUSH32_R
    OP_POP32_R
    OP_PUSHA
    OP_POPA
    OP_ENTER            # imm = frame size, imm2 = nesting level
    OP_LEAVE
    OP_CBW              # CBW/CWDE by size
    OP_CWD              # CWD/CDQ by size
    OP_FLAGOP           # sub = FO_*
    OP_XLAT
    OP_BCD              # sub = BCD_*: DAA DAS AAA AAS AAM AAD; imm = base
    OP_BOUND            # r1 = index register, memory = the two bounds
    OP_ARPL             # r/m16 (r1 or memory), r2 = source selector
    OP_JMP              # imm = target
    OP_JCC              # sub = condition, imm = target, imm2 = fall-through
    OP_JMP_R
    OP_JMP_M
    OP_CALL
    OP_CALL_R
    OP_CALL_M
    OP_RET              # imm = bytes to release
    OP_LOOP             # sub: 0 LOOP, 1 LOOPE, 2 LOOPNE, 3 JECXZ
    OP_STRING           # sub = STR_*, aux = REP_*
    OP_CLI
    OP_STI
    OP_PUSHF
    OP_POPF
    OP_IN               # aux & 1: port in DX, else imm
    OP_OUT
    OP_CALLOUT          # sub = CO_*: the rarer sensitive instructions
    OP_COUNT

cdef enum:
    ALU_ADD = 0
    ALU_OR = 1
    ALU_ADC = 2
    ALU_SBB = 3
    ALU_AND = 4
    ALU_SUB = 5
    ALU_XOR = 6
    ALU_CMP = 7
    ALU_TEST = 8

cdef enum:
    UN_INC = 0
    UN_DEC = 1
    UN_NEG = 2
    UN_NOT = 3

cdef enum:
    SH_ROL = 0
    SH_ROR = 1
    SH_RCL = 2
    SH_RCR = 3
    SH_SHL = 4
    SH_SHR = 5
    SH_SAR = 7

cdef enum:
    MD_MUL = 0
    MD_IMUL = 1
    MD_DIV = 2
    MD_IDIV = 3

cdef enum:
    BT_BT = 0
    BT_BTS = 1
    BT_BTR = 2
    BT_BTC = 3

cdef enum:
    FO_LAHF = 0
    FO_SAHF = 1
    FO_CLC = 2
    FO_STC = 3
    FO_CMC = 4
    FO_CLD = 5
    FO_STD = 6
    FO_SALC = 7

cdef enum:
    BCD_DAA = 0
    BCD_DAS = 1
    BCD_AAA = 2
    BCD_AAS = 3
    BCD_AAM = 4
    BCD_AAD = 5

cdef enum:
    STR_MOVS = 0
    STR_STOS = 1
    STR_LODS = 2
    STR_CMPS = 3
    STR_SCAS = 4
    STR_INS = 5
    STR_OUTS = 6

cdef enum:
    REP_NONE = 0
    REP_REPE = 1        # REP / REPE / REPZ
    REP_REPNE = 2

# Callout kinds: every sensitive instruction is counted under one of these.
cdef enum:
    CO_IN = 0
    CO_OUT
    CO_INS
    CO_OUTS
    CO_CLI
    CO_STI
    CO_PUSHF
    CO_POPF
    CO_HLT
    CO_CPUID
    CO_RDTSC
    CO_LGDT
    CO_LIDT
    CO_SGDT
    CO_SIDT
    CO_LLDT
    CO_SLDT
    CO_LTR
    CO_STR
    CO_SMSW
    CO_LMSW
    CO_CLTS
    CO_MOV_TO_CR
    CO_MOV_FROM_CR
    CO_MOV_TO_DR
    CO_MOV_FROM_DR
    CO_MOV_TO_SREG
    CO_MOV_FROM_SREG
    CO_PUSH_SREG
    CO_POP_SREG
    CO_LOAD_FAR_PTR
    CO_JMP_FAR
    CO_CALL_FAR
    CO_RETF
    CO_IRET
    CO_INT
    CO_INVD
    CO_WBINVD
    CO_INVLPG
    CO_RDMSR
    CO_WRMSR
    CO_RDPMC
    CO_LAR
    CO_LSL
    CO_VERR
    CO_VERW
    CO_SYSENTER
    CO_SYSEXIT
    CO_COUNT

# Why the run stopped inside the guest (Engine.fault_message spells it out).
cdef enum:
    FAULT_NONE = 0
    FAULT_UD            # invalid opcode
    FAULT_DE            # divide error
    FAULT_UNSUPPORTED   # a valid instruction bt does not implement yet
    FAULT_GP            # general protection; fault_arg = error code
    FAULT_EXEC_OUTSIDE_RAM
    FAULT_MODE          # a mode bt does not implement yet (real mode, paging, 16-bit code)
    FAULT_ADDR16        # 16-bit addressing (0x67 prefix) where bt lacks it
    FAULT_BR            # BOUND range exceeded
    FAULT_SS            # stack-segment fault
    FAULT_NP            # segment not present
    FAULT_TRIPLE        # a fault while delivering #DF: the CPU would shut down
    FAULT_GATE          # a task gate or a gate into another ring (not yet)
