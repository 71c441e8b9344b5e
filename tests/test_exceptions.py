"""Exception delivery through the IDT: frames, error codes, gates, #DF and
the triple fault (the interrupts guest checks the rest against QEMU)."""
from __future__ import annotations

import struct

import bt
from oracle import assemble

GDT, IDT, CODE, HANDLERS = 0x8000, 0x9000, 0x10000, 0x11000
STACK = 0x7000


def gate(offset: int, selector: int = 0x08, kind: int = 0xE, dpl: int = 0, present: bool = True) -> bytes:
    hi = (offset & 0xFFFF0000) | (0x8000 if present else 0) | (dpl << 13) | (kind << 8)
    return struct.pack("<II", (selector << 16) | (offset & 0xFFFF), hi)


def at(addr: int, source: str) -> bytes:
    import oracle
    old, oracle.CODE_ADDR = oracle.CODE_ADDR, addr
    try:
        return assemble(source)
    finally:
        oracle.CODE_ADDR = old


def machine(source: str, gates: dict[int, bytes], handler: str = "hlt"):
    eng = bt.load_engine()
    e = eng.Engine(1 << 20, cache_bytes=1 << 16)
    e.write_phys(GDT, bytes(8) + struct.pack("<II", 0xFFFF, 0xCF9B00) + struct.pack("<II", 0xFFFF, 0xCF9300))
    e.set_reg("gdtr_base", GDT)
    e.set_reg("gdtr_limit", 23)
    idt = bytearray(256 * 8)
    for vec, g in gates.items():
        idt[vec * 8:vec * 8 + 8] = g
    e.write_phys(IDT, bytes(idt))
    e.set_reg("idtr_base", IDT)
    e.set_reg("idtr_limit", len(idt) - 1)
    e.write_phys(CODE, at(CODE, source + "\nhlt\n"))
    e.write_phys(HANDLERS, at(HANDLERS, handler + "\n"))
    e.set_reg("eip", CODE)
    e.set_reg("esp", STACK)
    e.set_reg("eflags", 0x202)
    return eng, e


def frame(e, words: int) -> list[int]:
    esp = e.get_reg("esp")
    return list(struct.unpack(f"<{words}I", e.read_phys(esp, 4 * words)))


def test_divide_error_pushes_a_fault_frame():
    code = at(CODE, "xor %ecx, %ecx\ndiv %ecx")
    eng, e = machine("xor %ecx, %ecx\ndiv %ecx", {0: gate(HANDLERS)})
    assert e.run(100) == eng.EXIT_HALT
    eip, cs, eflags = frame(e, 3)
    assert eip == CODE + len(code) - 2          # the DIV itself: a fault
    assert cs == 0x08 and eflags & 0x200        # IF as it was
    assert not e.get_reg("eflags") & 0x200      # an interrupt gate clears IF
    assert e.get_reg("esp") == STACK - 12
    assert e.stats()["exceptions"] == 1


def test_general_protection_has_an_error_code_and_trap_gates_keep_if():
    eng, e = machine("mov $0x38, %ax\nmov %ax, %ds", {13: gate(HANDLERS, kind=0xF)})
    assert e.run(100) == eng.EXIT_HALT
    err, eip, cs, _ = frame(e, 4)
    assert err == 0x38 and eip == CODE + 4 and cs == 0x08
    assert e.get_reg("eflags") & 0x200


def test_int_n_is_a_trap_to_the_next_instruction_and_iret_returns():
    eng, e = machine("mov $1, %eax\nint $0x40\nmov $3, %ebx", {0x40: gate(HANDLERS)},
                     handler="add $10, %eax\niret")
    assert e.run(100) == eng.EXIT_HALT
    assert e.get_reg("eax") == 11 and e.get_reg("ebx") == 3
    assert e.get_reg("esp") == STACK and e.get_reg("eflags") & 0x200


def test_int_n_through_a_gate_of_lower_privilege_is_general_protection():
    # At CPL 3 a DPL 0 gate refuses INT n: #GP with the gate's selector index.
    eng, e = machine("int $0x40", {0x40: gate(HANDLERS, dpl=0), 13: gate(HANDLERS)})
    e.set_reg("cpl", 3)
    e.run(100)
    # The #GP handler's code segment is DPL 0 < CPL 3: a ring change bt does
    # not do yet, reported as such; the error code names the gate.
    assert "a gate into a more privileged ring" in e.fault_message
    assert "#GP (error code 0x202)" in e.fault_message


def test_missing_gate_becomes_a_double_fault():
    eng, e = machine("xor %ecx, %ecx\ndiv %ecx", {0: gate(HANDLERS, present=False),
                                                   8: gate(HANDLERS)})
    assert e.run(100) == eng.EXIT_HALT
    err, eip, cs, _ = frame(e, 4)
    assert err == 0 and cs == 0x08 and eip == CODE + 2


def test_no_usable_gates_is_a_triple_fault():
    eng, e = machine("ud2", {})
    assert e.run(100) == eng.EXIT_FAULT
    assert e.fault_code == eng.FAULT_TRIPLE
    assert e.fault_message.startswith(f"triple fault: #UD at 0x{CODE:08x}")


def test_into_traps_only_with_overflow():
    eng, e = machine("mov $1, %eax\ninto\nmov $0x7fffffff, %ecx\ninc %ecx\ninto\nmov $5, %edx",
                     {4: gate(HANDLERS)}, handler="add $100, %eax\niret")
    assert e.run(100) == eng.EXIT_HALT
    assert e.get_reg("eax") == 101 and e.get_reg("edx") == 5


def test_external_interrupt_is_taken_between_blocks_when_if_allows():
    eng, e = machine("cli\nmov $5, %ecx\n1: inc %eax\ndec %ecx\njnz 1b\nsti\n2: inc %edx\njmp 2b",
                     {0x20: gate(HANDLERS)}, handler="mov $1, %ebx\nhlt")
    acks = []

    def acknowledge():
        acks.append(e.get_reg("eip"))
        e.set_intr(False)
        return 0x20

    e.set_reg("eflags", 0x2)
    e.set_intr_acknowledge(acknowledge)
    e.set_intr(True)                          # asserted from the start, but IF=0 until STI
    assert e.run(10_000) == eng.EXIT_HALT
    assert e.get_reg("eax") == 5 and e.get_reg("ebx") == 1
    assert len(acks) == 1 and acks[0] > CODE + 2      # taken after STI, not while IF was clear
    eip, cs, eflags = frame(e, 3)
    assert cs == 0x08 and eflags & 0x200 and eip == acks[0]
    assert e.stats()["interrupts"] == 1


def test_nothing_pending_after_all_goes_on():
    eng, e = machine("sti\n1: inc %eax\ncmp $50, %eax\njne 1b", {})

    def acknowledge():
        e.set_intr(False)
        return -1                              # the request vanished

    e.set_intr_acknowledge(acknowledge)
    e.set_intr(True)
    assert e.run(10_000) == eng.EXIT_HALT
    assert e.get_reg("eax") == 50 and e.stats()["interrupts"] == 0
