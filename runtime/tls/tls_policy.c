/* Caddy's connection policies of one server: one context per policy,
 * chained in order, and the early ClientHello callback that moves each
 * handshake to the first policy whose match.sni fits, before the library
 * picks the version, the cipher suite and the curve. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tls_int.h"

/* Caddy's MatchServerName: exact, "" for a client without SNI, and
 * "*.example.com" for one label */
static int policy_matches(const struct tls_ctx *p, const char *sni)
{
  if (p->sni_count == 0 && !p->sni_none)
    return 1;
  if (!sni[0] && p->sni_none)
    return 1;
  const char *dot = strchr(sni, '.');
  for (size_t i = 0; i < p->sni_count; i++) {
    const char *pat = p->sni[i];
    if (strcmp(pat, sni) == 0 || (pat[0] == '*' && pat[1] == '.' && dot && dot != sni && strcmp(pat + 1, dot) == 0))
      return 1;
  }
  return 0;
}

/* the host_name of a server_name extension body (RFC 6066 3), lowercase */
static void policy_sni(const uint8_t *ext, size_t len, char *out, size_t cap)
{
  out[0] = '\0';
  if (!ext || len < 5 || (size_t)((ext[0] << 8) | ext[1]) + 2 != len || ext[2] != 0)
    return;
  size_t n = (size_t)((ext[3] << 8) | ext[4]);
  if (n + 5 <= len && n < cap)
    tls_name_lower(out, cap, (const char *)ext + 5, n);
}

int tls_policy_hello(SSL *ssl, const uint8_t *sni_ext, size_t len, const uint8_t *alpn_ext, size_t alpn_len)
{
  struct tls_conn *c = SSL_get_app_data(ssl);
  if (!c)
    return -1;
  char sni[TLS_NAME_MAX];
  policy_sni(sni_ext, len, sni, sizeof sni);
  struct tls_ctx *p = c->ctx;
  while (p && !policy_matches(p, sni))
    p = p->next;
  if (!p) {
    c->fail_hint = TLS_HINT_NO_POLICY;
    return -1;
  }
  if (p != c->ctx) {
    c->ctx = p;
    if (!SSL_set_SSL_CTX(ssl, tls_ctx_initial(p)) || !SSL_set_min_proto_version(ssl, (uint16_t)p->proto_min) ||
        !SSL_set_max_proto_version(ssl, (uint16_t)p->proto_max) || SSL_set_cipher_list(ssl, p->cipher_list) != 1 ||
        SSL_set1_curves_list(ssl, p->curve_list) != 1)
      return -1;
    tls_ctx_set_verify_ssl(ssl, p->client_auth);
  }
  /* certmagic answers acme-tls/1 whatever the policy: after it is chosen, before the certificate */
  return tls_acme_hello(ssl, c, sni, alpn_ext, alpn_len) < 0 ? -1 : 0;
}

struct tls_ctx *tls_ctx_new_policies(const struct tls_policy_config *p, size_t n, char *err, size_t errcap)
{
  struct tls_ctx *head = NULL, **tail = &head;
  for (size_t i = 0; i < n; i++) {
    struct tls_ctx *ctx = tls_ctx_new(&p[i].ctx, err, errcap);
    if (!ctx) {
      tls_ctx_free(head);
      return NULL;
    }
    *tail = ctx;
    tail = &ctx->next;
    ctx->sni_none = p[i].sni_none;
    ctx->sni = calloc(p[i].sni_count + 1, sizeof *ctx->sni);
    for (size_t j = 0; ctx->sni && j < p[i].sni_count; j++) {
      size_t len = strlen(p[i].sni[j]);
      if (!(ctx->sni[j] = malloc(len + 1)))
        break;
      tls_name_lower(ctx->sni[j], len + 1, p[i].sni[j], len);
      ctx->sni_count++;
    }
    if (!ctx->sni || ctx->sni_count != p[i].sni_count) {
      tls_ctx_free(head);
      snprintf(err, errcap, "out of memory");
      return NULL;
    }
  }
  if (!head)
    snprintf(err, errcap, "no connection policy");
  return head;
}
