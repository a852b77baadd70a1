/* TLS-ALPN-01 answered from storage (tlsalpn.h): the challenge certificate
 * the certificate manager (or another node sharing the storage) published
 * for a name the blob manages by ACME, read with one open and read as the
 * HTTP-01 tokens are. */
#include "tlsalpn.h"

#include "acme/acme_keys.h"
#include "loader.h"
#include "storage.h"

int tlsalpn_challenge(const struct blob *b, const char *root, const char *sni, char *buf, size_t cap)
{
  const struct zs_tls_cert *row = storage_acme_row(b, sni);
  for (unsigned i = row ? row->issuer : 0; row && i < row->issuer + row->issuer_count &&
                                           i < b->config->acme_issuer_count; i++) {
    if (b->acme_issuers[i].flags & ZS_ACME_NO_TLSALPN01)
      continue;
    int n = storage_read_challenge(root, blob_string(b, b->acme_issuers[i].ca_str), sni, ACME_TLSALPN_SUFFIX, buf, cap);
    if (n > 0)
      return n;
  }
  return -1;
}
