/* The storage folder (Caddy's `storage file_system` root) a blob names. */
#ifndef ZSRT_STORAGE_H
#define ZSRT_STORAGE_H

#include <stddef.h>

struct blob;

/* the blob's storage root, else Caddy's default ($XDG_DATA_HOME/caddy, else
 * $HOME/.local/share/caddy, else ./caddy) */
void storage_root(const struct blob *b, char *out, size_t cap);

#endif
