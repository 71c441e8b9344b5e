/*
 * start.S - Multiboot v1 entry point for bt guests.
 *
 * The boot loader (QEMU's -kernel, or bt's loader) enters _start in 32-bit
 * protected mode with flat segments, paging and interrupts off,
 * EAX = 0x2BADB002 and EBX = physical address of the multiboot info.
 */

#define MB_MAGIC    0x1BADB002
#define MB_FLAGS    0x00000003      /* bit 0: align modules, bit 1: memory info */
#define STACK_SIZE  (64 * 1024)

        .section .multiboot, "a"
        .balign 4
        .long   MB_MAGIC
        .long   MB_FLAGS
        .long   -(MB_MAGIC + MB_FLAGS)

        .section .bss
        .balign 16
        .globl  rt_stack_bottom, rt_stack_top
rt_stack_bottom:
        .skip   STACK_SIZE
rt_stack_top:

        .globl  mb_magic, mb_info
        .balign 4
mb_magic:
        .skip   4
mb_info:
        .skip   4

        .text
        .globl  _start
        .type   _start, @function
_start:
        cld
        movl    %eax, %esi              /* keep the boot registers while */
        movl    %ebx, %edx              /* .bss is cleared */
        movl    $__bss_start, %edi
        movl    $__bss_end, %ecx
        subl    %edi, %ecx
        xorl    %eax, %eax
        rep stosb
        movl    %esi, %eax
        movl    %edx, %ebx
        movl    $rt_stack_top, %esp
        movl    %eax, mb_magic
        movl    %ebx, mb_info
        xorl    %ebp, %ebp
        pushl   $0                      /* EFLAGS: clear DF (and the rest) */
        popfl
        call    serial_init
        call    main
        testl   %eax, %eax
        jnz     1f
        call    poweroff                /* main returned 0: status 0 */
1:      pushl   %eax
        call    bt_exit                 /* status (r << 1) | 1 */
2:      cli
        hlt
        jmp     2b
        .size   _start, . - _start

        .section .note.GNU-stack, "", @progbits
