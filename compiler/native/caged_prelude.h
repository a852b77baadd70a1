/* The prelude of every caged C unit, after abi/native.h: fixed-width names,
 * unaligned cage accesses and the eBPF operations C does not define the same
 * way (division by zero, signed overflow, byte swaps). Freestanding: it must
 * compile with clang (x86_64, aarch64) and libtcc alike. */
typedef unsigned long long u64;
typedef long long s64;
typedef unsigned int u32;
typedef int s32;
typedef unsigned short u16;
typedef short s16;
typedef unsigned char u8;
typedef signed char s8;

/* eBPF allows any alignment; these make the C compiler assume none */
typedef u16 zs_u16u __attribute__((aligned(1), may_alias));
typedef u32 zs_u32u __attribute__((aligned(1), may_alias));
typedef u64 zs_u64u __attribute__((aligned(1), may_alias));
typedef s8 zs_s8u __attribute__((aligned(1), may_alias));
typedef s16 zs_s16u __attribute__((aligned(1), may_alias));
typedef s32 zs_s32u __attribute__((aligned(1), may_alias));

/* The cage rule: the address is computed in 64 bits, then cut to 32. The
 * lifter emits it as ZS_MEM for offsets 0..32767 and ZS_MEM_NEG (given
 * off + 32768) for -32768..-1. For clang the register is cut first so the
 * offset folds into the access (lift_put_mem_ref in compiler/bpf/lift.c
 * says why that is the same cage); libtcc folds nothing, so it gets the
 * exact rule, one add fewer. */
#ifdef __TINYC__
#define ZS_MEM(T, reg, off) (*(T *)(zs_cage + (u32)((reg) + (off))))
#define ZS_MEM_NEG(T, reg, off) (*(T *)(zs_cage + (u32)((reg) + (off) - 0x8000)))
#else
#define ZS_MEM(T, reg, off) (*(T *)(zs_cage + (u64)(u32)(reg) + (off)))
#define ZS_MEM_NEG(T, reg, off) (*(T *)(zs_cage + (u64)(u32)((reg) - 0x8000) + (off)))
#endif
/* c->trap does not return (abi/native.h); telling clang so keeps a trap
 * path from forcing reloads of c's fields where it rejoins the normal path */
#if (defined(__clang__) || defined(__GNUC__)) && !defined(__TINYC__)
#define ZS_TRAP(code) do { c->trap(c, (code)); __builtin_unreachable(); } while (0)
#else
#define ZS_TRAP(code) do { c->trap(c, (code)); return 0; } while (0)
#endif
/* heap stores raise the high-water mark (abi/native.h heap_top); ZS_HEAP_OFF
 * and ZS_HEAP_SIZE are defined by the lifter from abi/cage.h */
#define ZS_HEAP_MARK(addr, n) do { u32 zs_o = (u32)(addr) - ZS_HEAP_OFF; \
    if (zs_o < ZS_HEAP_SIZE && zs_o + (n) > zs_heap_top) zs_heap_top = zs_o + (n); } while (0)
#define ZS_POLL() do { if (--zs_budget < 0) ZS_TRAP(2); } while (0)
/* ZS_LOCALS opens every function. For clang, the cage base, the budget and
 * the heap mark live in locals (zs_cage, zs_budget, zs_heap_top): a guest
 * store may alias *c as far as clang knows, so c's fields would be reloaded
 * after every store and each poll would be a load and a store chained
 * through memory. They are written back to c before every call and return
 * and read again after a call, so callees, helpers and the runtime see
 * exact values; after a trap nobody reads them. libtcc keeps locals in
 * memory anyway, so for it the names stand for c's fields and nothing syncs. */
#ifdef __TINYC__
#define zs_cage (c->cage_base)
#define zs_budget (c->budget)
#define zs_heap_top (c->heap_top)
#define ZS_LOCALS() do { } while (0)
#define ZS_SYNC_OUT() ((void)0)
#define ZS_SYNC_IN() ((void)0)
#else
#define ZS_LOCALS() u8 *const zs_cage = c->cage_base; s64 zs_budget = c->budget; \
    u32 zs_heap_top = c->heap_top; (void)zs_cage; (void)zs_budget; (void)zs_heap_top
#define ZS_SYNC_OUT() (c->budget = zs_budget, c->heap_top = zs_heap_top)
#define ZS_SYNC_IN() (zs_budget = c->budget, zs_heap_top = c->heap_top)
#endif

static inline u64 zs_udiv64(u64 a, u64 b) { return b ? a / b : 0; }
static inline u64 zs_umod64(u64 a, u64 b) { return b ? a % b : a; }
static inline u64 zs_udiv32(u64 a, u64 b) { return (u32)b ? (u32)a / (u32)b : 0; }
static inline u64 zs_umod32(u64 a, u64 b) { return (u32)b ? (u32)a % (u32)b : (u32)a; }

static inline u64 zs_sdiv64(u64 a, u64 b)
{
  if (!b)
    return 0;
  if (b == (u64)-1)            /* also INT64_MIN / -1, which C leaves undefined */
    return -a;
  return (u64)((s64)a / (s64)b);
}

static inline u64 zs_smod64(u64 a, u64 b)
{
  if (!b)
    return a;
  if (b == (u64)-1)
    return 0;
  return (u64)((s64)a % (s64)b);
}

static inline u64 zs_sdiv32(u64 a, u64 b)
{
  if (!(u32)b)
    return 0;
  if ((u32)b == (u32)-1)
    return (u32)-(u32)a;
  return (u32)((s32)a / (s32)b);
}

static inline u64 zs_smod32(u64 a, u64 b)
{
  if (!(u32)b)
    return (u32)a;
  if ((u32)b == (u32)-1)
    return 0;
  return (u32)((s32)a % (s32)b);
}

static inline u64 zs_bswap16(u64 x) { return (u16)((x >> 8 & 0xff) | (x & 0xff) << 8); }

static inline u64 zs_bswap32(u64 x)
{
  return (u32)((x >> 24 & 0xff) | (x >> 8 & 0xff00) | (x & 0xff00) << 8 | (x & 0xff) << 24);
}

static inline u64 zs_bswap64(u64 x) { return zs_bswap32(x) << 32 | zs_bswap32(x >> 32); }
