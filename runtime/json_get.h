/* A JSON reader for ebpf programs (the json_get helper): the value at a dotted
 * path ("a.b.0.c": object keys, and array indices in decimal) of a document,
 * without building anything. Strict RFC 8259 syntax for the parts it walks. */
#ifndef ZSRT_JSON_GET_H
#define ZSRT_JSON_GET_H

#include <stddef.h>

/* Writes the value at path into out (at most cap bytes): a string's content
 * unescaped (as UTF-8), any other value's text as it stands. Returns its
 * length, -ENOENT when the path leads nowhere, -EINVAL for a document that is
 * not JSON where it was read, -ENOSPC when the value does not fit. An empty
 * path is the whole document. */
long json_get(const char *doc, size_t len, const char *path, size_t path_len, char *out, size_t cap);

#endif
