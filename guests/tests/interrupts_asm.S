/* interrupts_asm.S - GDT, 256 interrupt stubs and the common entry path
 * for the interrupts guest. Every stub leaves the same frame: the vector
 * and an error code (0 when the CPU pushes none) above EIP, CS, EFLAGS. */

        .data
        .balign 8
int_gdt:
        .quad   0
        .quad   0x00cf9a000000ffff      /* 0x08 code */
        .quad   0x00cf92000000ffff      /* 0x10 data */
int_gdt_end:
        .balign 4
        .word   0
int_gdt_ptr:
        .word   int_gdt_end - int_gdt - 1
        .long   int_gdt

        .text
        .globl  int_load_gdt
int_load_gdt:
        lgdt    int_gdt_ptr
        ljmp    $0x08, $1f
1:      movw    $0x10, %ax
        movw    %ax, %ds
        movw    %ax, %es
        movw    %ax, %fs
        movw    %ax, %gs
        movw    %ax, %ss
        ret

/* Vector 8 is used for IRQ 0 while the PIC keeps the BIOS's base of 8, so
 * its stub pushes no error code (a real #DF would push one). */
.macro STUB n
        .balign 16
        .if     (\n == 10) || (\n == 11) || (\n == 12) || (\n == 13) || (\n == 14) || (\n == 17)
        pushl   $\n
        .else
        pushl   $0
        pushl   $\n
        .endif
        jmp     isr_common
.endm
        .globl  int_stubs
        .balign 16
int_stubs:
        .altmacro
        .set    i, 0
        .rept   256
        STUB    %i
        .set    i, i + 1
        .endr
        .noaltmacro

/* frame: pusha image, vector, error code, EIP, CS, EFLAGS */
isr_common:
        pushal
        pushl   %esp
        call    int_dispatch
        addl    $4, %esp
        popal
        addl    $8, %esp
        iret

        .section .note.GNU-stack, "", @progbits
