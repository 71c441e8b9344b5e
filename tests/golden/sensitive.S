# A kernel's first block: every privileged or sensitive instruction here
# must become a callout against the virtual CPU.
.code32
    cli
    lgdt gdtr
    mov %cr0, %eax
    or $1, %eax
    mov %eax, %cr0
    ljmp $0x08, $1f
1:  mov $0x10, %ax
    mov %ax, %ds
    pushf
    popf
gdtr: .word 0
