# Port I/O and string instructions.
.code32
    mov $0x3f8, %dx
    mov $'A', %al
    out %al, %dx
    in $0x80, %al
    rep outsb
    cld
    rep movsl
    repne scasb
    sti
    hlt
