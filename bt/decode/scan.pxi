# The decoder: capstone's C API, resolved with dlopen/dlsym, decodes guest
# bytes into instruction records; scan_block walks a guest basic block and
# hands each record to the translator. A block stops at a control transfer,
# at an instruction that must end it, at a page boundary, or after
# MAX_BLOCK_INSNS instructions.

cdef extern from "dlfcn.h" nogil:
    void *dlopen(const char *filename, int flag)
    void *dlsym(void *handle, const char *symbol)
    char *dlerror()
    int RTLD_NOW
    int RTLD_GLOBAL

ctypedef int (*cs_open_t)(int arch, int mode, csh *handle) noexcept nogil
ctypedef int (*cs_option_t)(csh handle, int typ, size_t value) noexcept nogil
ctypedef cs_insn *(*cs_malloc_t)(csh handle) noexcept nogil
ctypedef void (*cs_free_t)(cs_insn *insn, size_t count) noexcept nogil
ctypedef int (*cs_close_t)(csh *handle) noexcept nogil
# cs_disasm_iter returns a C bool: read it as one byte.
ctypedef uint8_t (*cs_disasm_iter_t)(csh handle, const uint8_t **code, size_t *size,
                                     uint64_t *address, cs_insn *insn) noexcept nogil
ctypedef const char *(*cs_insn_name_t)(csh handle, unsigned int insn_id) noexcept nogil

cdef cs_open_t p_cs_open = NULL
cdef cs_option_t p_cs_option = NULL
cdef cs_malloc_t p_cs_malloc = NULL
cdef cs_free_t p_cs_free = NULL
cdef cs_close_t p_cs_close = NULL
cdef cs_disasm_iter_t p_cs_disasm_iter = NULL
cdef cs_insn_name_t p_cs_insn_name = NULL

def init_capstone(path):
    """Open libcapstone at `path` and resolve the functions bt uses."""
    global p_cs_open, p_cs_option, p_cs_malloc, p_cs_free, p_cs_close
    global p_cs_disasm_iter, p_cs_insn_name
    cdef bytes bpath = path.encode()
    cdef void *h = dlopen(bpath, RTLD_NOW | RTLD_GLOBAL)
    if h == NULL:
        raise OSError(f"cannot load capstone from {path}: {(<bytes>dlerror()).decode()}")
    p_cs_open = <cs_open_t>dlsym(h, b"cs_open")
    p_cs_option = <cs_option_t>dlsym(h, b"cs_option")
    p_cs_malloc = <cs_malloc_t>dlsym(h, b"cs_malloc")
    p_cs_free = <cs_free_t>dlsym(h, b"cs_free")
    p_cs_close = <cs_close_t>dlsym(h, b"cs_close")
    p_cs_disasm_iter = <cs_disasm_iter_t>dlsym(h, b"cs_disasm_iter")
    p_cs_insn_name = <cs_insn_name_t>dlsym(h, b"cs_insn_name")
    if (p_cs_open == NULL or p_cs_option == NULL or p_cs_malloc == NULL or p_cs_free == NULL
            or p_cs_close == NULL or p_cs_disasm_iter == NULL or p_cs_insn_name == NULL):
        raise OSError(f"{path} lacks the capstone functions bt needs")

cdef int decoder_open(VM *vm) except -1:
    cdef csh h = 0
    if p_cs_open == NULL:
        raise RuntimeError("capstone is not loaded: call bt.engine.init_capstone first")
    if p_cs_open(CS_ARCH_X86, CS_MODE_32, &h) != 0:
        raise RuntimeError("cs_open failed")
    p_cs_option(h, CS_OPT_DETAIL, CS_OPT_ON)
    vm.cs_handle = h
    vm.cs_insn = p_cs_malloc(h)
    return 0

cdef void decoder_close(VM *vm) noexcept:
    cdef csh h = vm.cs_handle
    if vm.cs_insn != NULL:
        p_cs_free(<cs_insn *>vm.cs_insn, 1)
        vm.cs_insn = NULL
    if h:
        p_cs_close(&h)
        vm.cs_handle = 0

cdef inline bint decode_one(VM *vm, const uint8_t **code, size_t *avail, uint64_t *addr) noexcept nogil:
    return p_cs_disasm_iter(vm.cs_handle, code, avail, addr, <cs_insn *>vm.cs_insn) != 0

cdef Block *translate_block(VM *vm, uint32_t eip, uint32_t phys, uint32_t cs_base,
                            uint32_t mode) noexcept nogil:
    """Scan and translate the guest block at CS:EIP (physical address phys)."""
    cdef Block *b = cache_new_block(vm, MAX_BLOCK_INSNS)
    cdef cs_insn *insn = <cs_insn *>vm.cs_insn
    cdef const uint8_t *code
    cdef size_t avail
    cdef uint64_t addr = eip
    cdef uint32_t page_left, n = 0, end = eip, off
    cdef int st
    cdef Uop *u
    b.phys = phys
    b.cs_base = cs_base
    b.mode = mode
    b.eip = eip
    if phys >= vm.ram_size:
        u = &b.uops[0]
        memset(u, 0, sizeof(Uop))
        u.op = OP_FAULT
        u.sub = FAULT_EXEC_OUTSIDE_RAM
        u.eip = eip
        u.imm = phys
        b.n_uops = 1
        b.end_eip = eip
        u = &b.uops[1]
        memset(u, 0, sizeof(Uop))
        u.op = OP_END
        u.imm = eip
        b.phys_end = phys
        cache_commit(vm, b)
        vm.n_translated += 1
        return b
    page_left = 4096 - (phys & 0xFFF)
    code = vm.ram + phys
    # Allow the last instruction to run over the page end by up to 15 bytes.
    avail = vm.ram_size - phys
    if avail > page_left + 15:
        avail = page_left + 15
    while n < MAX_BLOCK_INSNS:
        off = <uint32_t>addr - eip
        if n > 0 and off >= page_left:
            break
        u = &b.uops[n]
        if not decode_one(vm, &code, &avail, &addr):
            if n > 0:
                break
            memset(u, 0, sizeof(Uop))
            u.op = OP_FAULT
            u.sub = FAULT_UD
            u.eip = eip + off
            n = 1
            end = eip + off + 1
            break
        st = translate_insn(vm, insn, u)
        if st == TR_BAD and n > 0:
            break
        n += 1
        end = <uint32_t>(insn.address + insn.size)
        vm.n_translated_insns += 1
        if st != TR_OK:
            break
    b.n_uops = n
    b.end_eip = end
    # The sentinel lets the loop run micro-ops without counting them.
    u = &b.uops[n]
    memset(u, 0, sizeof(Uop))
    u.op = OP_END
    u.imm = end
    u.eip = end
    b.phys_end = phys + (end - eip)
    if b.phys_end <= phys:
        b.phys_end = phys + 1
    cache_commit(vm, b)
    vm.n_translated += 1
    return b
