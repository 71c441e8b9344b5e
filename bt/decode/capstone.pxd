# Contract with capstone's C API (capstone/capstone.h, capstone/x86.h).
#
# Only types and constants come from the headers: the functions themselves
# are resolved with dlsym at run time (bt/decode/scan.pxi), because the
# PyPI wheel's libcapstone.so has a SONAME that the wheel does not ship.
from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t, int64_t

cdef extern from "capstone/capstone.h" nogil:
    ctypedef size_t csh
    cdef enum cs_arch:
        CS_ARCH_X86
    cdef enum cs_mode:
        CS_MODE_16
        CS_MODE_32
    cdef enum cs_opt_type:
        CS_OPT_DETAIL
    cdef enum cs_opt_value:
        CS_OPT_ON

    ctypedef struct x86_op_mem:
        int segment
        int base
        int index
        int scale
        int64_t disp

    ctypedef struct cs_x86_op:
        int type
        int reg           # anonymous union member
        int64_t imm       # anonymous union member
        x86_op_mem mem    # anonymous union member
        uint8_t size
        uint8_t access

    ctypedef struct cs_x86:
        uint8_t prefix[4]
        uint8_t opcode[4]
        uint8_t rex
        uint8_t addr_size
        uint8_t modrm
        uint8_t sib
        int64_t disp
        uint8_t op_count
        cs_x86_op operands[8]

    ctypedef struct cs_detail:
        cs_x86 x86        # anonymous union member

    ctypedef struct cs_insn:
        unsigned int id
        uint64_t address
        uint16_t size
        uint8_t bytes[24]
        char mnemonic[32]
        char op_str[160]
        cs_detail *detail

cdef extern from "capstone/x86.h" nogil:
    cdef enum x86_op_type:
        X86_OP_INVALID
        X86_OP_REG
        X86_OP_IMM
        X86_OP_MEM

    cdef enum x86_reg:
        X86_REG_INVALID
        X86_REG_AH
        X86_REG_AL
        X86_REG_AX
        X86_REG_BH
        X86_REG_BL
        X86_REG_BP
        X86_REG_BX
        X86_REG_CH
        X86_REG_CL
        X86_REG_CS
        X86_REG_CX
        X86_REG_DH
        X86_REG_DI
        X86_REG_DL
        X86_REG_DS
        X86_REG_DX
        X86_REG_EAX
        X86_REG_EBP
        X86_REG_EBX
        X86_REG_ECX
        X86_REG_EDI
        X86_REG_EDX
        X86_REG_EIP
        X86_REG_EIZ
        X86_REG_ES
        X86_REG_ESI
        X86_REG_ESP
        X86_REG_FS
        X86_REG_GS
        X86_REG_SI
        X86_REG_SP
        X86_REG_SS
        X86_REG_CR0
        X86_REG_CR1
        X86_REG_CR2
        X86_REG_CR3
        X86_REG_CR4
        X86_REG_CR5
        X86_REG_CR6
        X86_REG_CR7
        X86_REG_DR0
        X86_REG_DR1
        X86_REG_DR2
        X86_REG_DR3
        X86_REG_DR4
        X86_REG_DR5
        X86_REG_DR6
        X86_REG_DR7
        X86_REG_ENDING

    cdef enum x86_insn:
        X86_INS_INVALID
        X86_INS_ENDING
        X86_INS_ENDBR32
        X86_INS_ENDBR64
        X86_INS_AAA
        X86_INS_AAD
        X86_INS_AAM
        X86_INS_AAS
        X86_INS_ARPL
        X86_INS_ADC
        X86_INS_ADD
        X86_INS_AND
        X86_INS_BOUND
        X86_INS_BSF
        X86_INS_BSR
        X86_INS_BSWAP
        X86_INS_BT
        X86_INS_BTC
        X86_INS_BTR
        X86_INS_BTS
        X86_INS_CALL
        X86_INS_CBW
        X86_INS_CDQ
        X86_INS_CLC
        X86_INS_CLD
        X86_INS_CLI
        X86_INS_CLTS
        X86_INS_CMC
        X86_INS_CMOVA
        X86_INS_CMOVAE
        X86_INS_CMOVB
        X86_INS_CMOVBE
        X86_INS_CMOVE
        X86_INS_CMOVG
        X86_INS_CMOVGE
        X86_INS_CMOVL
        X86_INS_CMOVLE
        X86_INS_CMOVNE
        X86_INS_CMOVNO
        X86_INS_CMOVNP
        X86_INS_CMOVNS
        X86_INS_CMOVO
        X86_INS_CMOVP
        X86_INS_CMOVS
        X86_INS_CMP
        X86_INS_CMPSB
        X86_INS_CMPSD
        X86_INS_CMPSW
        X86_INS_CMPXCHG
        X86_INS_CMPXCHG8B
        X86_INS_CPUID
        X86_INS_CWD
        X86_INS_CWDE
        X86_INS_DAA
        X86_INS_DAS
        X86_INS_DEC
        X86_INS_DIV
        X86_INS_ENTER
        X86_INS_HLT
        X86_INS_IDIV
        X86_INS_IMUL
        X86_INS_IN
        X86_INS_INC
        X86_INS_INSB
        X86_INS_INSD
        X86_INS_INSW
        X86_INS_INT
        X86_INS_INT1
        X86_INS_INT3
        X86_INS_INTO
        X86_INS_INVD
        X86_INS_INVLPG
        X86_INS_IRET
        X86_INS_IRETD
        X86_INS_JA
        X86_INS_JAE
        X86_INS_JB
        X86_INS_JBE
        X86_INS_JCXZ
        X86_INS_JE
        X86_INS_JECXZ
        X86_INS_JG
        X86_INS_JGE
        X86_INS_JL
        X86_INS_JLE
        X86_INS_JMP
        X86_INS_JNE
        X86_INS_JNO
        X86_INS_JNP
        X86_INS_JNS
        X86_INS_JO
        X86_INS_JP
        X86_INS_JS
        X86_INS_LAHF
        X86_INS_LAR
        X86_INS_LCALL
        X86_INS_LDS
        X86_INS_LEA
        X86_INS_LEAVE
        X86_INS_LES
        X86_INS_LFS
        X86_INS_LGDT
        X86_INS_LGS
        X86_INS_LIDT
        X86_INS_LJMP
        X86_INS_LLDT
        X86_INS_LMSW
        X86_INS_LODSB
        X86_INS_LODSD
        X86_INS_LODSW
        X86_INS_LOOP
        X86_INS_LOOPE
        X86_INS_LOOPNE
        X86_INS_LSL
        X86_INS_LSS
        X86_INS_LTR
        X86_INS_MOV
        X86_INS_MOVSB
        X86_INS_MOVSD
        X86_INS_MOVSW
        X86_INS_MOVSX
        X86_INS_MOVZX
        X86_INS_MUL
        X86_INS_NEG
        X86_INS_NOP
        X86_INS_NOT
        X86_INS_OR
        X86_INS_OUT
        X86_INS_OUTSB
        X86_INS_OUTSD
        X86_INS_OUTSW
        X86_INS_PAUSE
        X86_INS_POP
        X86_INS_POPAL
        X86_INS_POPAW
        X86_INS_POPF
        X86_INS_POPFD
        X86_INS_PUSH
        X86_INS_PUSHAL
        X86_INS_PUSHAW
        X86_INS_PUSHF
        X86_INS_PUSHFD
        X86_INS_RCL
        X86_INS_RCR
        X86_INS_RDMSR
        X86_INS_RDPMC
        X86_INS_RDTSC
        X86_INS_RET
        X86_INS_RETF
        X86_INS_ROL
        X86_INS_ROR
        X86_INS_SAHF
        X86_INS_SAL
        X86_INS_SALC
        X86_INS_SAR
        X86_INS_SBB
        X86_INS_SCASB
        X86_INS_SCASD
        X86_INS_SCASW
        X86_INS_SETA
        X86_INS_SETAE
        X86_INS_SETB
        X86_INS_SETBE
        X86_INS_SETE
        X86_INS_SETG
        X86_INS_SETGE
        X86_INS_SETL
        X86_INS_SETLE
        X86_INS_SETNE
        X86_INS_SETNO
        X86_INS_SETNP
        X86_INS_SETNS
        X86_INS_SETO
        X86_INS_SETP
        X86_INS_SETS
        X86_INS_SGDT
        X86_INS_SHL
        X86_INS_SHLD
        X86_INS_SHR
        X86_INS_SHRD
        X86_INS_SIDT
        X86_INS_SLDT
        X86_INS_SMSW
        X86_INS_STC
        X86_INS_STD
        X86_INS_STI
        X86_INS_STOSB
        X86_INS_STOSD
        X86_INS_STOSW
        X86_INS_STR
        X86_INS_SUB
        X86_INS_SYSENTER
        X86_INS_SYSEXIT
        X86_INS_TEST
        X86_INS_UD0
        X86_INS_UD1
        X86_INS_UD2
        X86_INS_VERR
        X86_INS_VERW
        X86_INS_WBINVD
        X86_INS_WRMSR
        X86_INS_XADD
        X86_INS_XCHG
        X86_INS_XLATB
        X86_INS_XOR
