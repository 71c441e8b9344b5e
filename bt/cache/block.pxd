# Translated blocks and the translation cache that holds them.
from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t
from bt.translate.uop cimport Uop

ctypedef struct Block:
    uint32_t phys         # physical address of the first byte (key)
    uint32_t cs_base      # key: translations depend on the code segment base
    uint32_t mode         # key: MODE_* bits the translation assumed
    uint32_t eip          # EIP of the first instruction
    uint32_t end_eip      # EIP after the last instruction
    uint32_t phys_end     # one past the last byte of guest code
    uint32_t n_uops
    uint32_t valid
    Uop *uops
    Block *next[2]        # chained successors: taken, fall-through
    Block *hnext          # hash bucket chain
    Block *page_next[2]   # per-page lists: first page, second page

ctypedef struct Cache:
    Block *blocks
    uint32_t max_blocks
    uint32_t n_blocks
    Uop *uops
    uint32_t max_uops
    uint32_t n_uops
    Block **hash
    uint32_t hash_mask
    Block **jc            # direct-mapped jump cache for indirect branches
    Block **page_head     # per physical page: blocks with code in it
    uint8_t *code_pages   # per physical page: 1 if any block has code in it
    uint8_t *code_bits    # one bit per byte of RAM: covered by a block
    uint32_t n_pages
    uint32_t generation   # bumped by every flush

cdef enum:
    MODE_32 = 1           # CS.D: 32-bit default operand and address size
    JC_SIZE = 4096
    MAX_BLOCK_INSNS = 128
