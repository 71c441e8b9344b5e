# Innocuous instructions: each is one micro-op with its operands resolved.
.code32
    mov $100, %ecx
1:  add $3, %eax
    xor %eax, %ebx
    lea 8(%esi,%edi,4), %edx
    movzbl (%esi), %edx
    movb %ah, 3(%ebp)
    imul $7, %edx, %edx
    shl %cl, %ebx
    dec %ecx
    jnz 1b
