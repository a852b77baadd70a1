/* A blob around the hand-written x86_64 guest programs (guest_x86_64.S):
 * eight servers on ports GUEST_PORT + 0..7, one program each. */
#ifndef TEST_GUEST_BLOB_H
#define TEST_GUEST_BLOB_H

#include <stddef.h>

#define GUEST_PORT 9000
enum guest_server {
  GUEST_RESPOND, GUEST_FILE, GUEST_PROXY, GUEST_FAULT, GUEST_LOOP, GUEST_NEXT, GUEST_BAD, GUEST_ROOT,
};

/* file_server 0 serves root_dir (index names: the default), file_server 1 has
 * an empty root and index "idx.txt"; prog_root sets the root variable to
 * var_root. Returns malloc'ed blob bytes. */
unsigned char *guest_blob_build(const char *root_dir, const char *var_root, size_t *len);

#endif
