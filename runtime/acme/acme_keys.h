/* certmagic's storage key names (acme_keys.c): no library, so zsrt links it too. */
#ifndef ZSRT_ACME_KEYS_H
#define ZSRT_ACME_KEYS_H

#include <stddef.h>

/* TLS-ALPN-01's certificate and key (PEM), beside certmagic's
 * challenge_tokens/<name>.json: acme/<issuer>/challenge_tokens/<name>.tls-alpn.pem */
#define ACME_TLSALPN_SUFFIX ".tls-alpn.pem"

/* StorageKeys.Safe: lower case, "*" as "wildcard_", "+" as "_plus_", ":" as "-", ... */
void acme_store_safe(const char *in, char *out, size_t cap);
/* certmagic's ACMEIssuer.issuerKey of a directory URL (before Safe) */
void acme_store_issuer_key(const char *ca_url, char *out, size_t cap);

#endif
