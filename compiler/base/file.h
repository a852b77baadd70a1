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

/* Saves an output the user named (zsc -o PATH) without ever replacing what
 * is not a regular file. A regular file (or a new name) is replaced
 * atomically through PATH.tmp and a rename; a symbolic link is followed and
 * its target saved the same way; a character device or a FIFO (/dev/null,
 * /dev/stdout, a pipe) is written to directly. A directory, block device,
 * socket or dangling link is refused. 0, or a negative errno with *why set
 * to a short reason. */
int file_save_output(const char *path, const void *data, size_t len, const char **why);

#endif
