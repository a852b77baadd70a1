/* TLS-ALPN-01 (RFC 8737) answered by the TLS listeners from storage. */
#ifndef ZSRT_TLSALPN_H
#define ZSRT_TLSALPN_H

#include <stddef.h>

struct blob;

/* the challenge certificate and key (PEM) published under root for sni, a
 * name one of the blob's ACME certificates covers, by one of its issuers
 * with TLS-ALPN-01 on, into buf: its length, or -1 when there is none */
int tlsalpn_challenge(const struct blob *b, const char *root, const char *sni, char *buf, size_t cap);

#endif
