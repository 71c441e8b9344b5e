/* system_asm.S - descriptor tables, segment reloads and interrupt stubs for
 * the system guest. */

        .data
        .balign 8
        .globl  sys_gdt, sys_gdt_ptr
sys_gdt:
        .quad   0                       /* 0x00: null */
        .quad   0x00cf9a000000ffff      /* 0x08: code, flat, 32-bit, DPL 0 */
        .quad   0x00cf92000000ffff      /* 0x10: data, flat, DPL 0 */
        .quad   0x00cf92000000ffff      /* 0x18: a second flat data selector */
        .quad   0                       /* 0x20: TSS, filled in by system.c */
sys_gdt_end:
        .balign 4
        .word   0                       /* pad so that the base is aligned */
sys_gdt_ptr:
        .word   sys_gdt_end - sys_gdt - 1
        .long   sys_gdt

        .text

/* void sys_load_gdt(void): LGDT, reload CS with a far jump, DS/ES/SS with
 * mov, FS/GS with pop. */
        .globl  sys_load_gdt
sys_load_gdt:
        lgdt    sys_gdt_ptr
        ljmp    $0x08, $1f
1:      movw    $0x10, %ax
        movw    %ax, %ds
        movw    %ax, %ss
        movw    $0x18, %ax
        movw    %ax, %es
        pushl   $0x18
        popl    %fs
        pushl   $0x10
        popl    %gs
        ret

/* void sys_lret_reload(void): reload CS through a far return */
        .globl  sys_lret_reload
sys_lret_reload:
        pushl   $0x08
        pushl   $1f
        lret
1:      ret

/* uint32_t sys_far_calls(void): lcall to a far procedure, ljmp through a
 * far pointer in memory, lcall through memory; returns a sum */
        .globl  sys_far_calls
sys_far_calls:
        xorl    %eax, %eax
        lcall   $0x08, $far_add1
        lcall   *far_ptr_add10
        ljmp    *far_ptr_cont
        addl    $0x1000000, %eax        /* skipped */
far_cont:
        ret
far_add1:
        addl    $1, %eax
        lret
far_add10:
        addl    $10, %eax
        lret
        .data
        .balign 4
far_ptr_add10:
        .long   far_add10
        .word   0x08
        .balign 4
far_ptr_cont:
        .long   far_cont
        .word   0x08
        .text

/* uint32_t sys_iret_test(uint32_t eflags): IRET to the same privilege level;
 * returns the EFLAGS seen right after it */
        .globl  sys_iret_test
sys_iret_test:
        movl    4(%esp), %eax
        pushl   %eax                    /* EFLAGS */
        pushl   %cs
        pushl   $1f
        iret
1:      pushfl
        popl    %eax
        pushl   $0x2                    /* back to a clean EFLAGS (IF stays off) */
        popfl
        ret

/* Interrupt stubs: vector n pushes n and jumps to a common handler that
 * reports it. The guest never raises an interrupt; they catch mistakes. */
        .globl  sys_isr_stubs
.macro STUB n
        .balign 16
        pushl   $\n
        jmp     isr_common
.endm
        .balign 16
sys_isr_stubs:
        .irp    n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
        STUB    \n
        .endr
isr_common:
        call    sys_unexpected_interrupt        /* does not return */
1:      cli
        hlt
        jmp     1b

        .section .note.GNU-stack, "", @progbits
