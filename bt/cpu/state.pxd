# The virtual CPU: one C struct that every engine stage reads and writes.
#
# Registers live in regs[0..7] in x86 encoding order; regs[8] is a constant
# zero so that an address with no base or index register needs no branch.
# Micro-ops name a register by its byte offset inside regs[], which also
# covers the high-byte registers AH..BH (offset 4*n+1).
from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t, int32_t

cdef enum:
    R_EAX = 0
    R_ECX = 1
    R_EDX = 2
    R_EBX = 3
    R_ESP = 4
    R_EBP = 5
    R_ESI = 6
    R_EDI = 7
    R_ZERO = 8

# Segment register indices (x86 encoding order).
cdef enum:
    S_ES = 0
    S_CS = 1
    S_SS = 2
    S_DS = 3
    S_FS = 4
    S_GS = 5
    S_NONE = 6      # no segment: linear address = effective address (LEA)

# EFLAGS bits.
cdef enum:
    F_CF = 0x0001
    F_PF = 0x0004
    F_AF = 0x0010
    F_ZF = 0x0040
    F_SF = 0x0080
    F_TF = 0x0100
    F_IF = 0x0200
    F_DF = 0x0400
    F_OF = 0x0800
    F_IOPL = 0x3000
    F_NT = 0x4000
    F_RF = 0x10000
    F_VM = 0x20000
    F_AC = 0x40000
    F_VIF = 0x80000
    F_VIP = 0x100000
    F_ID = 0x200000
    F_ARITH = 0x08D5          # CF PF AF ZF SF OF: the lazily computed ones

# Lazy condition codes: which operation last set the arithmetic flags.
cdef enum:
    CC_EFLAGS = 0   # flags are materialised in eflags
    CC_ADD = 1      # res = a + b (+ carry): CF, OF, AF from a, b, res
    CC_SUB = 2      # res = a - b (- borrow)
    CC_LOGIC = 3    # CF = OF = AF = 0
    CC_INC = 4      # aux = CF before; OF, AF from res
    CC_DEC = 5
    CC_SHIFT = 6    # aux holds CF and OF (computed eagerly); ZF SF PF from res
    CC_MUL = 7      # aux != 0 -> CF = OF = 1
    CC_SBB = 8      # as CC_SUB, but with a borrow in: no shortcut for conditions

# cc_op packs the operation and its operand size, so that recording costs
# one store and the hot condition tests compare one word (CC_SUB32).
cdef enum:
    CC_SIZE_SHIFT = 4
    CC_KIND_MASK = 15
    CC_SUB32 = CC_SUB | (4 << CC_SIZE_SHIFT)
    CC_LOGIC32 = CC_LOGIC | (4 << CC_SIZE_SHIFT)

ctypedef struct SegReg:
    uint32_t base
    uint32_t limit
    uint16_t sel
    uint16_t attr       # descriptor bits 40-47 and 52-55 (type, S, DPL, P, AVL, L, D/B, G)
    uint32_t _pad

ctypedef struct CPUState:
    uint32_t regs[9]
    uint32_t eip
    uint32_t eflags     # authoritative for all but F_ARITH while cc_op != CC_EFLAGS
    uint32_t cc_op      # CC_* | operand size in bytes << CC_SIZE_SHIFT
    uint32_t cc_a
    uint32_t cc_b
    uint32_t cc_res
    uint32_t cc_aux
    SegReg seg[7]       # seg[S_NONE] is a flat zero-based pseudo segment
    uint32_t cr0
    uint32_t cr2
    uint32_t cr3
    uint32_t cr4
    uint32_t gdt_base
    uint32_t gdt_limit
    uint32_t idt_base
    uint32_t idt_limit
    SegReg ldtr
    SegReg tr
    uint32_t dr[8]
    uint32_t cpl
    uint64_t msr_sysenter_cs
    uint64_t msr_sysenter_esp
    uint64_t msr_sysenter_eip
    uint64_t msr_apic_base
    uint64_t msr_misc_enable
