/* multipart/byteranges bodies as Go's http.ServeContent writes them: a file's
 * ranges, each after a part head (boundary, Content-Range, Content-Type), then
 * the closing boundary. The heads are generated where the body is read, so a
 * sender walks the body by position: a head to copy or a file range to read. */
#ifndef ZSRT_FILES_PARTS_H
#define ZSRT_FILES_PARTS_H

#include <stddef.h>
#include <stdint.h>

#include "response.h"

/* what the body holds at one position */
struct files_piece {
  const char *mem;             /* head bytes from here (in buf), or NULL: file bytes */
  size_t mem_len;
  uint64_t file_off, file_len; /* the file's bytes from here, when mem is NULL */
  char buf[400];
};

/* the whole body's length (the Content-Length Go sends) */
uint64_t files_parts_length(const struct response *r);

/* the piece at byte pos of the body (pos < files_parts_length) */
void files_parts_piece(const struct response *r, uint64_t pos, struct files_piece *out);

/* a fresh boundary: 30 random bytes in hex, as Go's multipart.Writer */
void files_parts_boundary(char out[64]);

#endif
