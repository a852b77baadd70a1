/* Whole-file reads and writes for the compiler's inputs and the files its
 * external tools leave behind. */
#ifndef ZSC_FILE_H
#define ZSC_FILE_H

#include <stddef.h>

#include "arena.h"

/* The whole file into the arena, NUL-terminated (not counted in *len).
 * 0, or a negative errno with *data and *len untouched. */
int file_read_all(struct arena *a, const char *path, char **data, size_t *len);

/* 0, or a negative errno */
int file_write_all(const char *path, const void *data, size_t len);

#endif
