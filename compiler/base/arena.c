/* Arena allocator: bump allocation in growing blocks, poisoned for ASan on reset. */
#include "arena.h"
#include "strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/asan_interface.h>
#endif
#endif
#ifndef ASAN_POISON_MEMORY_REGION
#define ASAN_POISON_MEMORY_REGION(p, n) ((void)(p), (void)(n))
#endif

struct arena_block {
  struct arena_block *prev;
  size_t size;
  _Alignas(16) unsigned char data[];
};

enum { ARENA_MIN_BLOCK = 64 * 1024 };

void *arena_alloc(struct arena *a, size_t size)
{
  size = (size + 15) & ~(size_t)15;
  if (!a->head || a->used + size > a->head->size) {
    size_t bsize = size > ARENA_MIN_BLOCK ? size : ARENA_MIN_BLOCK;
    struct arena_block *b = malloc(sizeof *b + bsize);
    if (!b) {
      fprintf(stderr, "zsc: out of memory\n");
      abort();
    }
    b->prev = a->head;
    b->size = bsize;
    a->head = b;
    a->used = 0;
  }
  void *p = a->head->data + a->used;
  a->used += size;
  memset(p, 0, size);
  return p;
}

void *arena_grow(struct arena *a, void *old, size_t old_size, size_t new_size)
{
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
    ASAN_POISON_MEMORY_REGION(b->data, b->size);
    free(b);
    b = prev;
  }
  a->head = NULL;
  a->used = 0;
}
