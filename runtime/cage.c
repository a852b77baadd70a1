/* The pointer cage of one worker: reserving the 4 GiB window, mapping its
 * regions (abi/cage.h), checking guest ranges for helpers, and calling guest
 * code with traps turned into return codes. The signal side lives in trap.c. */
#include "cage.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../abi/cage.h"

#define CAGE_MIN_STACK_CLEAR ZS_MAX_FRAME_STACK   /* one frame, even when the entry declares less */

static size_t cage_page_size(void)
{
  long p = sysconf(_SC_PAGESIZE);
  return p > 0 ? (size_t)p : 4096;
}

static size_t cage_round_up(size_t n, size_t page)
{
  return (n + page - 1) / page * page;
}

/* anonymous read-write pages at a fixed offset inside the reservation */
static int cage_map_anon(struct cage *c, uint32_t off, size_t len)
{
  void *p = mmap(c->base + off, len, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  return p == MAP_FAILED ? -errno : 0;
}

static int cage_map_rodata(struct cage *c, const void *rodata, size_t len)
{
  if (len > ZS_CAGE_RODATA_MAX)
    return -EFBIG;
  c->rodata_size = len;
  if (len == 0)
    return 0;
  size_t mapped = cage_round_up(len, cage_page_size());
  int rc = cage_map_anon(c, ZS_CAGE_RODATA_OFF, mapped);
  if (rc < 0)
    return rc;
  memcpy(c->base + ZS_CAGE_RODATA_OFF, rodata, len);
  return mprotect(c->base + ZS_CAGE_RODATA_OFF, mapped, PROT_READ) < 0 ? -errno : 0;
}

/* The request view is one memfd mapped twice: read-only inside the window,
 * read-write at req_host for the runtime, so the program can never write it. */
static int cage_map_request(struct cage *c)
{
  int fd = memfd_create("zsrt-request", MFD_CLOEXEC);
  if (fd < 0)
    return -errno;
  int rc = 0;
  if (ftruncate(fd, ZS_CAGE_REQ_SIZE) < 0)
    rc = -errno;
  if (rc == 0 && mmap(c->base + ZS_CAGE_REQ_OFF, ZS_CAGE_REQ_SIZE, PROT_READ,
                      MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED)
    rc = -errno;
  if (rc == 0) {
    void *host = mmap(NULL, ZS_CAGE_REQ_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (host == MAP_FAILED)
      rc = -errno;
    else
      c->req_host = host;
  }
  close(fd);
  return rc;
}

static void cage_trap_from_guest(struct zs_native_ctx *ctx, unsigned code)
{
  struct cage *c = (struct cage *)((char *)ctx - offsetof(struct cage, ctx));
  c->trap_code = code;
  c->trap_addr = 0;
  siglongjmp(c->trap_jmp, 1);
}

static void cage_init_ctx(struct cage *c, const zs_helper_fn *helpers, unsigned helper_count,
                          void *host)
{
  c->ctx.cage_base = c->base;
  c->ctx.helpers = helpers;
  c->ctx.helper_count = helper_count;
  c->ctx.budget = ZS_DEFAULT_BUDGET;
  c->ctx.trap = cage_trap_from_guest;
  c->ctx.depth = 0;
  c->ctx.host = host;
  c->budget = ZS_DEFAULT_BUDGET;
  c->stack_dirty = CAGE_MIN_STACK_CLEAR;
}

int cage_create(struct cage *c, const void *rodata, size_t rodata_len,
                const zs_helper_fn *helpers, unsigned helper_count, void *host)
{
  memset(c, 0, sizeof *c);
  void *base = mmap(NULL, ZS_CAGE_RESERVE, PROT_NONE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (base == MAP_FAILED)
    return -errno;
  c->base = base;
  int rc = cage_map_rodata(c, rodata, rodata_len);
  if (rc == 0)
    rc = cage_map_request(c);
  if (rc == 0)
    rc = cage_map_anon(c, ZS_CAGE_STACK_OFF, ZS_CAGE_STACK_SIZE);
  if (rc == 0)
    rc = cage_map_anon(c, ZS_CAGE_HEAP_OFF, ZS_CAGE_HEAP_SIZE);
  if (rc < 0) {
    cage_destroy(c);
    return rc;
  }
  cage_init_ctx(c, helpers, helper_count, host);
  return 0;
}

void cage_destroy(struct cage *c)
{
  if (c->req_host)
    munmap(c->req_host, ZS_CAGE_REQ_SIZE);
  if (c->base)
    munmap(c->base, ZS_CAGE_RESERVE);
  c->req_host = NULL;
  c->base = NULL;
}

void cage_set_code(struct cage *c, const void *code, size_t len)
{
  c->code = code;
  c->code_size = len;
}

/* Zeroes every resident page of [off, off+len): only pages a program touched
 * are resident, so this covers writes anywhere in the region. It costs a
 * mincore walk, so it runs after traps only (a trapped program may have been
 * anywhere); normal calls clear what the verifier and helpers declared. */
static void cage_clear_resident(struct cage *c, uint32_t off, size_t len)
{
  size_t page = cage_page_size();
  unsigned char resident[ZS_CAGE_HEAP_SIZE / 4096];
  size_t pages = len / page;
  if (pages > sizeof resident || mincore(c->base + off, len, resident) < 0) {
    memset(c->base + off, 0, len);
    return;
  }
  for (size_t i = 0; i < pages; i++)
    if (resident[i] & 1)
      memset(c->base + off + i * page, 0, page);
}

/* The stack bytes the verifier proved reachable (stack_size, at least
 * stack_dirty) below the top, and the heap bytes written (the lifted code's
 * high-water mark ctx.heap_top, and heap_dirty raised by helpers that write
 * there), are cleared after every call. */
static void cage_clear_after_call(struct cage *c, uint32_t stack_size, int trapped)
{
  if (c->stack_reach)   /* all a program can reach, whatever it computed */
    memset(c->base + ZS_CAGE_STACK_TOP - c->stack_reach, 0, c->stack_reach);
  if (trapped) {
    if (!c->stack_reach)
      cage_clear_resident(c, ZS_CAGE_STACK_OFF, ZS_CAGE_STACK_SIZE);
    cage_clear_resident(c, ZS_CAGE_HEAP_OFF, ZS_CAGE_HEAP_SIZE);
    c->heap_dirty = 0;
    c->ctx.heap_top = 0;
    return;
  }
  size_t declared = stack_size > c->stack_dirty ? stack_size : c->stack_dirty;
  if (declared > ZS_CAGE_STACK_SIZE)
    declared = ZS_CAGE_STACK_SIZE;
  if (!c->stack_reach)
    memset(c->base + ZS_CAGE_STACK_TOP - declared, 0, declared);
  if (c->ctx.heap_top > c->heap_dirty)
    c->heap_dirty = c->ctx.heap_top;
  c->ctx.heap_top = 0;
  if (c->heap_dirty > ZS_CAGE_HEAP_SIZE)
    c->heap_dirty = ZS_CAGE_HEAP_SIZE;
  memset(c->base + ZS_CAGE_HEAP_OFF, 0, c->heap_dirty);
  c->heap_dirty = 0;
}

int cage_set_stack_reach(struct cage *c, uint32_t bytes)
{
  size_t page = cage_page_size();
  size_t reach = cage_round_up(bytes ? bytes : 1, page);
  if (reach > ZS_CAGE_STACK_SIZE)
    reach = ZS_CAGE_STACK_SIZE;
  uint8_t *low = c->base + ZS_CAGE_STACK_OFF, *top = c->base + ZS_CAGE_STACK_TOP;
  size_t below = ZS_CAGE_STACK_SIZE - reach;
  /* what was there before goes (private anonymous pages read back as zeros) */
  if (madvise(low, ZS_CAGE_STACK_SIZE, MADV_DONTNEED) < 0)
    return -errno;
  if (below && mprotect(low, below, PROT_NONE) < 0)
    return -errno;
  if (mprotect(top - reach, reach, PROT_READ | PROT_WRITE) < 0)
    return -errno;
  c->stack_reach = (uint32_t)reach;
  return 0;
}

void cage_note_heap_write(struct cage *c, uint64_t ptr, uint64_t len)
{
  if (ptr >= ZS_CAGE_HEAP_OFF && ptr - ZS_CAGE_HEAP_OFF + len <= ZS_CAGE_HEAP_SIZE &&
      ptr - ZS_CAGE_HEAP_OFF + len > c->heap_dirty)
    c->heap_dirty = (size_t)(ptr - ZS_CAGE_HEAP_OFF + len);
}

unsigned cage_call(struct cage *c, zs_entry_fn fn, uint64_t r1, uint32_t stack_size, uint64_t *r0)
{
  trap_enter(c);
  c->ctx.budget = c->budget;
  c->ctx.depth = 0;
  c->trap_code = 0;
  c->trap_addr = 0;
  *r0 = 0;
  if (sigsetjmp(c->trap_jmp, 0) == 0)
    *r0 = fn(&c->ctx, r1, ZS_CAGE_STACK_TOP);
  trap_leave(c);
  cage_clear_after_call(c, stack_size, c->trap_code != 0);
  if (c->trap_code)
    trap_log(c);
  return c->trap_code;
}

static int cage_range_in(uint64_t ptr, uint64_t len, uint64_t start, uint64_t size)
{
  return ptr >= start && ptr - start <= size && len <= size - (ptr - start);
}

int cage_readable(const struct cage *c, uint64_t ptr, uint64_t len)
{
  return (c->rodata_size && cage_range_in(ptr, len, ZS_CAGE_RODATA_OFF, c->rodata_size)) ||
         cage_range_in(ptr, len, ZS_CAGE_REQ_OFF, ZS_CAGE_REQ_SIZE) ||
         cage_writable(c, ptr, len);
}

int cage_writable(const struct cage *c, uint64_t ptr, uint64_t len)
{
  uint32_t reach = c->stack_reach ? c->stack_reach : ZS_CAGE_STACK_SIZE;
  return cage_range_in(ptr, len, ZS_CAGE_STACK_TOP - reach, reach) ||
         cage_range_in(ptr, len, ZS_CAGE_HEAP_OFF, ZS_CAGE_HEAP_SIZE);
}
