/* Arena allocator: bump allocation in growing blocks of anonymous memory.
 * Reset unmaps the blocks, so a use after reset faults at once (ASan
 * poisoning would outlive the mapping and taint whatever is mapped there next). */
#include "arena.h"
#include "strbuf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

struct arena_block {
  struct arena_block *prev;
  size_t size;
  _Alignas(16) unsigned char data[];
};

enum { ARENA_MIN_BLOCK = 64 * 1024, ARENA_MAX_BLOCK = 4 * 1024 * 1024, ARENA_POPULATE_STEP = 128 * 1024 };

/* Fault the head block in ahead of use, a step at a time: one call instead
 * of a fault per page, without paying for the untouched tail of a 4 MiB
 * block (pre-faulting whole blocks was a third of `zsc adapt`'s time).
 * Kernels without MADV_POPULATE_WRITE fault per page as usual. */
static void arena_commit(struct arena *a, size_t used)
{
  a->used = used;
  if (used <= a->populated)
    return;
  size_t end = (used + ARENA_POPULATE_STEP - 1) & ~(size_t)(ARENA_POPULATE_STEP - 1);
  if (end > a->head->size)
    end = a->head->size;
#ifdef MADV_POPULATE_WRITE
  uintptr_t from = ((uintptr_t)a->head->data + a->populated) & ~(uintptr_t)4095;
  madvise((void *)from, (uintptr_t)a->head->data + end - from, MADV_POPULATE_WRITE);
#endif
  a->populated = end;
}

void *arena_alloc(struct arena *a, size_t size)
{
  size = (size + 15) & ~(size_t)15;
  if (!a->head || a->used + size > a->head->size) {
    /* blocks double up to 4 MiB: a large input costs few mallocs */
    size_t bsize = a->head && a->head->size < ARENA_MAX_BLOCK ? a->head->size * 2 : ARENA_MIN_BLOCK;
    if (a->head && a->head->size >= ARENA_MAX_BLOCK)
      bsize = ARENA_MAX_BLOCK;
    if (bsize < size)
      bsize = size;
    /* fresh anonymous pages are zero, so nothing handed out needs clearing */
    struct arena_block *b = mmap(NULL, sizeof *b + bsize, PROT_READ | PROT_WRITE,
                                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (b == MAP_FAILED) {
      fprintf(stderr, "zsc: out of memory\n");
      abort();
    }
    b->prev = a->head;
    b->size = bsize;
    a->head = b;
    a->used = 0;
    a->populated = 0;
  }
  void *p = a->head->data + a->used;
  arena_commit(a, a->used + size);
  return p;
}

void *arena_grow(struct arena *a, void *old, size_t old_size, size_t new_size)
{
  /* the newest allocation of the head block grows in place when it fits:
   * strbufs and growing arrays then never copy */
  size_t old_rounded = (old_size + 15) & ~(size_t)15, new_rounded = (new_size + 15) & ~(size_t)15;
  if (old && a->head && (unsigned char *)old + old_rounded == a->head->data + a->used &&
      a->used - old_rounded + new_rounded <= a->head->size) {
    arena_commit(a, a->used - old_rounded + new_rounded);
    return old;
  }
  void *p = arena_alloc(a, new_size);
  if (old && old_size)
    memcpy(p, old, old_size < new_size ? old_size : new_size);
  return p;
}

void *arena_push(struct arena *a, void **items, size_t *count, size_t *cap, size_t elem_size)
{
  if (*count == *cap) {
    size_t new_cap = *cap ? *cap * 2 : 8;
    *items = arena_grow(a, *items, *cap * elem_size, new_cap * elem_size);
    *cap = new_cap;
  }
  return (char *)*items + (*count)++ * elem_size;
}

char *arena_strndup(struct arena *a, const char *s, size_t len)
{
  char *p = arena_alloc(a, len + 1);
  memcpy(p, s, len);
  return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
  return arena_strndup(a, s, strlen(s));
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
  struct strbuf sb;
  strbuf_init(&sb, a);
  va_list ap;
  va_start(ap, fmt);
  strbuf_vprintf(&sb, fmt, ap);
  va_end(ap);
  return sb.data ? sb.data : arena_alloc(a, 1);
}

void arena_reset(struct arena *a)
{
  struct arena_block *b = a->head;
  while (b) {
    struct arena_block *prev = b->prev;
    munmap(b, sizeof *b + b->size);
    b = prev;
  }
  a->head = NULL;
  a->used = 0;
  a->populated = 0;
}
