/* The storage folder (Caddy's `storage file_system` root) a blob names. */
#ifndef ZSRT_STORAGE_H
#define ZSRT_STORAGE_H

#include <stddef.h>

struct blob;

/* the blob's storage root, else Caddy's default ($XDG_DATA_HOME/caddy, else
 * $HOME/.local/share/caddy, else ./caddy) */
void storage_root(const struct blob *b, char *out, size_t cap);

struct zs_tls_cert;
/* the blob's ACME certificate row naming host (case-insensitive), or NULL */
const struct zs_tls_cert *storage_acme_row(const struct blob *b, const char *host);
/* <root>/acme/<issuer of ca>/challenge_tokens/<host><suffix> (certmagic's
 * keys) into buf, NUL-terminated: its length, or -1 */
int storage_read_challenge(const char *root, const char *ca, const char *host, const char *suffix, char *buf,
                           size_t cap);

#endif
