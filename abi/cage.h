/* The pointer cage: the fixed layout of a worker's 4 GiB guest window.
 * Guest pointers are 32-bit offsets into the window; every region below is
 * page-aligned, and everything not listed is PROT_NONE. Shared by zsc (the
 * linker places rodata here), stdlib-bpf and zsrt (which maps the regions). */
#ifndef ZS_ABI_CAGE_H
#define ZS_ABI_CAGE_H

#define ZS_CAGE_WINDOW      0x100000000ull     /* 4 GiB addressable by a 32-bit offset */
#define ZS_CAGE_GUARD       0x10000ull         /* trailing PROT_NONE for accesses that straddle 4 GiB */
#define ZS_CAGE_RESERVE     (ZS_CAGE_WINDOW + ZS_CAGE_GUARD)

/* program rodata (strings, tables): read-only */
#define ZS_CAGE_RODATA_OFF  0x00100000u
#define ZS_CAGE_RODATA_MAX  0x01000000u        /* 16 MiB */

/* request view: struct zs_req and the bytes it points at; read-only to the program */
#define ZS_CAGE_REQ_OFF     0x10000000u
#define ZS_CAGE_REQ_SIZE    0x00040000u        /* 256 KiB: request head limit plus index */

/* eBPF stack: read-write; r10 of the entry frame is ZS_CAGE_STACK_TOP and frames
 * grow down; the page below ZS_CAGE_STACK_OFF is PROT_NONE, so overflow traps */
#define ZS_CAGE_STACK_OFF   0x20000000u
#define ZS_CAGE_STACK_SIZE  0x00010000u        /* 64 KiB */
#define ZS_CAGE_STACK_TOP   (ZS_CAGE_STACK_OFF + ZS_CAGE_STACK_SIZE)

/* heap: read-write scratch for the program, cleared (the used part) between requests */
#define ZS_CAGE_HEAP_OFF    0x30000000u
#define ZS_CAGE_HEAP_SIZE   0x00100000u        /* 1 MiB */

#define ZS_MAX_CALL_DEPTH   8                  /* frames, as the kernel's verifier allows */
#define ZS_MAX_FRAME_STACK  512                /* bytes of stack one eBPF frame may use */
#define ZS_DEFAULT_BUDGET   10000000           /* back-edge and call polls per request */

/* bytes only code lifted without the cage (a benchmark's measurement build)
 * carries; the blob writer refuses such code and zsrt refuses a blob with it */
#define ZS_UNCAGED_MARKER   "zs-uncaged-code: for measurement only, never to be served"

#endif
