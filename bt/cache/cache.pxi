# The translation cache: blocks keyed by (physical address, CS base, mode),
# a hash table for lookups, a direct-mapped jump cache for indirect branches,
# per-page block lists and a byte bitmap of translated code for
# self-modifying-code detection. Storage is two fixed arenas (blocks and
# micro-ops); when either is full the whole cache is flushed.

cdef int cache_init(Cache *c, uint32_t ram_size, uint32_t max_uops) noexcept nogil:
    c.max_uops = max_uops
    c.max_blocks = max_uops // 4 + 16
    c.blocks = <Block *>calloc(c.max_blocks, sizeof(Block))
    c.uops = <Uop *>calloc(c.max_uops, sizeof(Uop))
    c.hash_mask = (1 << 16) - 1
    c.hash = <Block **>calloc(c.hash_mask + 1, sizeof(Block *))
    c.jc = <Block **>calloc(JC_SIZE, sizeof(Block *))
    c.n_pages = (ram_size + 4095) // 4096
    # One spare page so that a store ending just past RAM indexes safely.
    c.page_head = <Block **>calloc(c.n_pages + 1, sizeof(Block *))
    c.code_pages = <uint8_t *>calloc(c.n_pages + 1, 1)
    c.code_bits = <uint8_t *>calloc((c.n_pages + 1) * 512, 1)
    c.n_blocks = 0
    c.n_uops = 0
    c.generation = 0
    if (c.blocks == NULL or c.uops == NULL or c.hash == NULL or c.jc == NULL
            or c.page_head == NULL or c.code_pages == NULL or c.code_bits == NULL):
        return -1
    return 0

cdef void cache_free(Cache *c) noexcept nogil:
    free(c.blocks)
    free(c.uops)
    free(c.hash)
    free(c.jc)
    free(c.page_head)
    free(c.code_pages)
    free(c.code_bits)
    memset(c, 0, sizeof(Cache))

cdef inline uint32_t hash_of(uint32_t phys, uint32_t cs_base, uint32_t mode) noexcept nogil:
    cdef uint32_t h = (phys ^ cs_base ^ (mode << 29)) * 0x9E3779B1U
    return h >> 16

cdef void cache_flush(VM *vm) noexcept nogil:
    cdef Cache *c = &vm.cache
    cdef uint32_t p
    for p in range(c.n_pages + 1):
        if c.code_pages[p]:
            memset(c.code_bits + p * 512, 0, 512)
    memset(c.code_pages, 0, c.n_pages + 1)
    memset(c.page_head, 0, (c.n_pages + 1) * sizeof(Block *))
    memset(c.hash, 0, (c.hash_mask + 1) * sizeof(Block *))
    memset(c.jc, 0, JC_SIZE * sizeof(Block *))
    c.n_blocks = 0
    c.n_uops = 0
    c.generation += 1
    vm.cur_block = NULL
    vm.n_flushes += 1

cdef inline Block *cache_find(Cache *c, uint32_t phys, uint32_t cs_base, uint32_t mode) noexcept nogil:
    cdef Block *b = c.hash[hash_of(phys, cs_base, mode) & c.hash_mask]
    while b != NULL:
        if b.phys == phys and b.cs_base == cs_base and b.mode == mode:
            return b
        b = b.hnext
    return NULL

cdef Block *cache_new_block(VM *vm, uint32_t n_uops_needed) noexcept nogil:
    """Reserve a block with room for n_uops_needed micro-ops, flushing if full."""
    cdef Cache *c = &vm.cache
    if c.n_blocks >= c.max_blocks or c.n_uops + n_uops_needed + 1 > c.max_uops:
        cache_flush(vm)
    cdef Block *b = &c.blocks[c.n_blocks]
    c.n_blocks += 1
    memset(b, 0, sizeof(Block))
    b.uops = &c.uops[c.n_uops]
    return b

cdef inline void mark_code_bits(Cache *c, uint32_t start, uint32_t end) noexcept nogil:
    cdef uint32_t a
    for a in range(start, end):
        c.code_bits[a >> 3] |= <uint8_t>(1 << (a & 7))

cdef void cache_commit(VM *vm, Block *b) noexcept nogil:
    """Publish a translated block: hash it, list it under its pages, mark its bytes."""
    cdef Cache *c = &vm.cache
    cdef uint32_t h = hash_of(b.phys, b.cs_base, b.mode) & c.hash_mask
    cdef uint32_t p0, p1
    c.n_uops += b.n_uops + 1      # + the OP_END sentinel
    b.valid = 1
    b.hnext = c.hash[h]
    c.hash[h] = b
    if b.phys >= vm.ram_size:
        return
    if b.phys_end > vm.ram_size:
        b.phys_end = vm.ram_size
    p0 = b.phys >> 12
    p1 = (b.phys_end - 1) >> 12
    b.page_next[0] = c.page_head[p0]
    c.page_head[p0] = b
    c.code_pages[p0] = 1
    if p1 != p0:
        b.page_next[1] = c.page_head[p1]
        c.page_head[p1] = b
        c.code_pages[p1] = 1
    mark_code_bits(c, b.phys, b.phys_end)

cdef void unhash(Cache *c, Block *b) noexcept nogil:
    cdef Block **pp = &c.hash[hash_of(b.phys, b.cs_base, b.mode) & c.hash_mask]
    while pp[0] != NULL:
        if pp[0] == b:
            pp[0] = b.hnext
            return
        pp = &pp[0].hnext

cdef inline int page_link(Block *b, uint32_t page) noexcept nogil:
    return 0 if (b.phys >> 12) == page else 1

cdef void invalidate_range(VM *vm, uint32_t page, uint32_t start, uint32_t end) noexcept nogil:
    """Invalidate the blocks of `page` overlapping [start, end); rebuild the page's list and bits."""
    cdef Cache *c = &vm.cache
    cdef Block *b = c.page_head[page]
    cdef Block *keep = NULL
    cdef Block *nxt
    cdef int k
    cdef uint32_t lo, hi, pstart = page << 12
    memset(c.code_bits + page * 512, 0, 512)
    while b != NULL:
        k = page_link(b, page)
        nxt = b.page_next[k]
        if b.valid and b.phys < end and start < b.phys_end:
            b.valid = 0
            unhash(c, b)
            vm.n_invalidations += 1
            if b == vm.cur_block:
                vm.smc_hit = RC_SMC
        if b.valid:
            b.page_next[k] = keep
            keep = b
            lo = b.phys if b.phys > pstart else pstart
            hi = b.phys_end if b.phys_end < pstart + 4096 else pstart + 4096
            mark_code_bits(c, lo, hi)
        b = nxt
    c.page_head[page] = keep
    c.code_pages[page] = keep != NULL
    # The jump cache may still point at invalid blocks; lookups check .valid.

cdef void smc_check(VM *vm, uint32_t a, uint32_t size) noexcept nogil:
    """A store to [a, a+size) touches a page with code: invalidate what it overwrote."""
    cdef Cache *c = &vm.cache
    cdef uint32_t i, p
    cdef bint hit = False
    for i in range(size):
        p = a + i
        if p < vm.ram_size and c.code_bits[p >> 3] & (1 << (p & 7)):
            hit = True
            break
    if not hit:
        return
    p = a >> 12
    invalidate_range(vm, p, a, a + size)
    if ((a + size - 1) >> 12) != p:
        invalidate_range(vm, p + 1, a, a + size)

cdef void invalidate_phys(VM *vm, uint32_t start, uint32_t end) noexcept nogil:
    """Invalidate translations of [start, end) after an outside write (loader, debugger)."""
    cdef uint32_t p
    if end > vm.ram_size:
        end = vm.ram_size
    if start >= end:
        return
    for p in range(start >> 12, ((end - 1) >> 12) + 1):
        if vm.cache.code_pages[p]:
            invalidate_range(vm, p, start, end)
