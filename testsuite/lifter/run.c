/* Entries of a lifted image run inside a cage: the image is copied to fresh
 * executable pages, each case is one cage_call, and traps come back as codes. */
#include "run.h"

#include <string.h>
#include <sys/mman.h>

#include "abi/cage.h"

void run_fill_request(uint8_t *req, size_t len)
{
  for (size_t i = 0; i < len; i++)
    req[i] = (uint8_t)(i * 7 + 3);
}

static struct run_env *run_env_of(struct zs_native_ctx *c)
{
  return c->host;
}

static unsigned long long run_helper_mix_fn(struct zs_native_ctx *c, unsigned long long r1,
                                            unsigned long long r2, unsigned long long r3,
                                            unsigned long long r4, unsigned long long r5)
{
  (void)c;
  uint64_t a[5] = {r1, r2, r3, r4, r5};
  return run_helper_mix(a);
}

static unsigned long long run_helper_snap(struct zs_native_ctx *c, unsigned long long r1,
                                          unsigned long long r2, unsigned long long r3,
                                          unsigned long long r4, unsigned long long r5)
{
  (void)r1, (void)r2, (void)r3, (void)r4, (void)r5;
  struct run_env *e = run_env_of(c);
  uint64_t h = run_hash(c->cage_base + ZS_CAGE_STACK_TOP - RUN_SNAP_STACK, RUN_SNAP_STACK, RUN_HASH_SEED);
  e->snap_hash = run_hash(c->cage_base + ZS_CAGE_HEAP_OFF, RUN_SNAP_HEAP, h);
  e->snapped = 1;
  return RUN_SNAP_RET;
}

static unsigned long long run_helper_peek(struct zs_native_ctx *c, unsigned long long r1,
                                          unsigned long long r2, unsigned long long r3,
                                          unsigned long long r4, unsigned long long r5)
{
  (void)r2, (void)r3, (void)r4, (void)r5;
  struct run_env *e = run_env_of(c);
  if (!cage_readable(&e->cage, r1, 8))
    return (unsigned long long)-14;
  uint64_t v;
  memcpy(&v, c->cage_base + r1, 8);
  return v;
}

static const zs_helper_fn run_helpers[RUN_HELPER_COUNT] = {run_helper_mix_fn, run_helper_snap, run_helper_peek};

int run_env_init(struct run_env *e, const uint8_t *image, size_t image_size,
                 const uint8_t *rodata, size_t rodata_size)
{
  memset(e, 0, sizeof *e);
  int rc = cage_create(&e->cage, rodata, rodata_size, run_helpers, RUN_HELPER_COUNT, e);
  if (rc < 0)
    return rc;
  e->cage.budget = RUN_BUDGET;
  run_fill_request(e->cage.req_host, RUN_REQ_BYTES);
  e->code_map = (image_size + 0xffff) & ~(size_t)0xffff;
  void *p = mmap(NULL, e->code_map, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    return -1;
  memcpy(p, image, image_size);
  __builtin___clear_cache((char *)p, (char *)p + image_size);
  if (mprotect(p, e->code_map, PROT_READ | PROT_EXEC) < 0)
    return -1;
  e->code = p;
  cage_set_code(&e->cage, p, image_size);
  return 0;
}

void run_env_case(struct run_env *e, uint64_t code_offset, struct run_result *out)
{
  zs_entry_fn fn = (zs_entry_fn)(void *)(e->code + code_offset);
  /* the cage clears only what a verified program declares it uses; these
   * programs are not verified, and each must start from zeroed memory as the
   * interpreter's does */
  memset(e->cage.base + ZS_CAGE_STACK_OFF, 0, ZS_CAGE_STACK_SIZE);
  memset(e->cage.base + ZS_CAGE_HEAP_OFF, 0, RUN_HEAP_CLEAR);
  e->snapped = 0;
  e->snap_hash = 0;
  memset(out, 0, sizeof *out);
  out->trap = cage_call(&e->cage, fn, ZS_CAGE_REQ_OFF, RUN_SNAP_STACK, &out->r0);
  out->snapped = e->snapped;
  out->snap_hash = e->snap_hash;
}

void run_env_destroy(struct run_env *e)
{
  if (e->code)
    munmap(e->code, e->code_map);
  cage_destroy(&e->cage);
}
