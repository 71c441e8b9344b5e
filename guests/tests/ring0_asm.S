/* ring0_asm.S - the GDT and the SYSENTER round trip of the ring0 guest.
 *
 * SYSENTER takes CS from IA32_SYSENTER_CS (RPL bits cleared) and SS from
 * that selector + 8, both as flat Ring 0 segments, ESP from
 * IA32_SYSENTER_ESP and EIP from IA32_SYSENTER_EIP; it clears IF (and VM,
 * RF) and saves nothing. r0_sysenter records what the landing code sees,
 * then comes back with a far jump through the guest's own GDT.
 */

        .data
        .balign 8
        .globl  r0_gdt
r0_gdt:
        .quad   0                       /* 0x00: null */
        .quad   0x00cf9b000000ffff      /* 0x08: code, flat, 32-bit, DPL 0 (accessed) */
        .quad   0x00cf93000000ffff      /* 0x10: data, flat, DPL 0 (accessed) */
        .quad   0x00cf9b000000ffff      /* 0x18: SYSENTER CS, first setting */
        .quad   0x00cf93000000ffff      /* 0x20: SYSENTER SS (CS + 8) */
        .quad   0x00cf9b000000ffff      /* 0x28: SYSENTER CS, second setting */
        .quad   0x00cf93000000ffff      /* 0x30: SYSENTER SS (CS + 8) */
r0_gdt_end:
        .balign 4
        .word   0
r0_gdt_ptr:
        .word   r0_gdt_end - r0_gdt - 1
        .long   r0_gdt

        .balign 4
        .globl  r0_land_cs, r0_land_ss, r0_land_esp, r0_land_flags
r0_saved_esp:   .long 0
r0_land_cs:     .long 0
r0_land_ss:     .long 0
r0_land_esp:    .long 0
r0_land_flags:  .long 0

        .text

/* void r0_load_gdt(void): LGDT, CS = 0x08 by a far jump, the data
 * segments = 0x10. */
        .globl  r0_load_gdt
r0_load_gdt:
        lgdt    r0_gdt_ptr
        ljmp    $0x08, $1f
1:      movw    $0x10, %ax
        movw    %ax, %ds
        movw    %ax, %es
        movw    %ax, %fs
        movw    %ax, %gs
        movw    %ax, %ss
        ret

/* void r0_sysenter(void): the three SYSENTER MSRs are already written
 * (EIP = r0_sysenter_landing). Enters with CF=1 and IF=1 (every IRQ is
 * masked at the PICs), records CS, SS, ESP and EFLAGS at the landing point,
 * returns to CS 0x08 with a far jump and restores SS, ESP and EFLAGS. */
        .globl  r0_sysenter, r0_sysenter_landing
r0_sysenter:
        pushl   %ebp
        pushl   %ebx
        pushl   %esi
        pushl   %edi
        pushfl
        movl    %esp, r0_saved_esp
        stc
        sti
        sysenter
        hlt                             /* never reached */
r0_sysenter_landing:
        movl    %esp, r0_land_esp
        pushfl                          /* through the new SS:ESP */
        popl    r0_land_flags
        movl    %cs, %eax
        movl    %eax, r0_land_cs
        movl    %ss, %eax
        movl    %eax, r0_land_ss
        ljmp    $0x08, $1f
1:      movw    $0x10, %ax
        movw    %ax, %ss
        movl    r0_saved_esp, %esp
        popfl                           /* IF off again, as at entry */
        popl    %edi
        popl    %esi
        popl    %ebx
        popl    %ebp
        ret

        .section .note.GNU-stack, "", @progbits
