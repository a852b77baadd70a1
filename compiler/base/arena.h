/* Arena allocation for the compiler: a stage allocates from an arena and frees
 * nothing one by one. Not for the runtime, which preallocates per worker. */
#ifndef ZSC_ARENA_H
#define ZSC_ARENA_H

#include <stddef.h>

struct arena_block;

struct arena {
  struct arena_block *head;
  size_t used;                 /* bytes used in head */
  size_t populated;            /* bytes of head faulted in ahead of use */
};

void *arena_alloc(struct arena *a, size_t size);           /* zeroed, 16-byte aligned */
void *arena_grow(struct arena *a, void *old, size_t old_size, size_t new_size);
char *arena_strndup(struct arena *a, const char *s, size_t len);
char *arena_strdup(struct arena *a, const char *s);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void arena_reset(struct arena *a);                         /* frees every block */

/* Appends one zeroed element to a growable array (items, count, capacity)
 * and returns it: ARENA_PUSH(arena, arr, count, cap) with lvalues. */
void *arena_push(struct arena *a, void **items, size_t *count, size_t *cap, size_t elem_size);
#define ARENA_PUSH(arena, arr, count, cap) \
  ((__typeof__(arr))arena_push((arena), (void **)&(arr), &(count), &(cap), sizeof *(arr)))

#endif
