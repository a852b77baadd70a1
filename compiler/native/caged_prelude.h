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

/* the cage rule: the address is computed in 64 bits, then cut to 32 */
#define ZS_MEM(T, addr) (*(T *)(c->cage_base + (u32)(addr)))
#define ZS_TRAP(code) do { c->trap(c, (code)); return 0; } while (0)
/* heap stores raise the high-water mark (abi/native.h heap_top); ZS_HEAP_OFF
 * and ZS_HEAP_SIZE are defined by the lifter from abi/cage.h */
#define ZS_HEAP_MARK(addr, n) do { u32 zs_o = (u32)(addr) - ZS_HEAP_OFF; \
    if (zs_o < ZS_HEAP_SIZE && zs_o + (n) > c->heap_top) c->heap_top = zs_o + (n); } while (0)
#define ZS_POLL() do { if (--c->budget < 0) ZS_TRAP(2); } while (0)

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
