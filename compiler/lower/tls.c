/* A TLS server's tls_connection_policies to lowered policies (the tls_policy
 * rows), with every member zsc cannot honour refused under the name users
 * write in a Caddyfile. The tls and pki apps are tlsapp.c's; which servers
 * speak TLS is autohttps.c's. */
#include <stdlib.h>
#include <string.h>

#include "lower_parts.h"

/* a list of strings, each checked by ok (NULL: any); names the first bad one */
static int tls_strings(struct lower *l, const struct json *v, const char *what, bool (*ok)(const char *),
                       const char ***out, size_t *count)
{
  const char **items = lower_items(l, v, sizeof *items, arena_printf(l->a, "%s that is not a list", what));
  if (!items)
    return -1;
  int bad = 0;
  for (size_t i = 0; i < v->count; i++) {
    const char *s = lower_string(l, v->items[i], what);
    if (s && ok && !ok(s)) {
      lower_refuse(l, v->items[i], "%s '%s'", what, s);
      s = NULL;
    }
    bad |= s ? 0 : -1;
    items[*count] = s;
    *count += s ? 1 : 0;
  }
  *out = items;
  return bad;
}

/* Go's crypto/tls TLS 1.2 suites (tls.CipherSuites(), what Caddy accepts) */
static const char *const tls_cipher_names[] = {
  "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
  "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
  "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
  "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
  "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
  "TLS_RSA_WITH_AES_128_GCM_SHA256", "TLS_RSA_WITH_AES_256_GCM_SHA384", "TLS_RSA_WITH_AES_128_CBC_SHA",
  "TLS_RSA_WITH_AES_256_CBC_SHA", NULL,
};

static bool tls_cipher_known(const char *s)
{
  for (size_t i = 0; tls_cipher_names[i]; i++)
    if (strcmp(tls_cipher_names[i], s) == 0)
      return true;
  return false;
}

/* Caddy's curve names to the blob's (abi/config.def: x25519, p256, p384, p521) */
static const char *const tls_curve_names[][2] = {
  {"x25519", "x25519"}, {"secp256r1", "p256"}, {"secp384r1", "p384"}, {"secp521r1", "p521"}, {NULL, NULL},
};

static bool tls_curve_known(const char *s)
{
  for (size_t i = 0; tls_curve_names[i][0]; i++)
    if (strcmp(tls_curve_names[i][0], s) == 0)
      return true;
  return false;
}

static bool tls_alpn_known(const char *s)
{
  return strcmp(s, "h2") == 0 || strcmp(s, "http/1.1") == 0;
}

static int tls_policy_ciphers(struct lower *l, const struct json *v, void *record)
{
  struct lowered_tls_policy *p = record;
  return tls_strings(l, v, "cipher suite", tls_cipher_known, &p->ciphers, &p->cipher_count);
}

static int tls_policy_curves(struct lower *l, const struct json *v, void *record)
{
  struct lowered_tls_policy *p = record;
  int bad = tls_strings(l, v, "curve", tls_curve_known, &p->curves, &p->curve_count);
  for (size_t i = 0; i < p->curve_count; i++)
    for (size_t k = 0; tls_curve_names[k][0]; k++)
      if (strcmp(p->curves[i], tls_curve_names[k][0]) == 0)
        p->curves[i] = tls_curve_names[k][1];
  return bad;
}

static int tls_policy_alpn(struct lower *l, const struct json *v, void *record)
{
  struct lowered_tls_policy *p = record;
  return tls_strings(l, v, "ALPN protocol", tls_alpn_known, &p->alpn, &p->alpn_count);
}

/* "tls1.2" -> 12, "tls1.3" -> 13; older versions are refused */
static int tls_protocol(struct lower *l, const struct json *v, unsigned *out)
{
  const char *s = lower_string(l, v, "TLS protocol");
  if (s && (strcmp(s, "tls1.2") == 0 || strcmp(s, "tls1.3") == 0)) {
    *out = s[5] == '2' ? 12 : 13;
    return 0;
  }
  if (s)
    lower_refuse(l, v, "TLS protocol '%s'", s);
  return -1;
}

static int tls_policy_min(struct lower *l, const struct json *v, void *record)
{
  return tls_protocol(l, v, &((struct lowered_tls_policy *)record)->protocol_min);
}

static int tls_policy_max(struct lower *l, const struct json *v, void *record)
{
  return tls_protocol(l, v, &((struct lowered_tls_policy *)record)->protocol_max);
}

static int tls_policy_default_sni(struct lower *l, const struct json *v, void *record)
{
  struct lowered_tls_policy *p = record;
  return (p->default_sni = lower_string(l, v, "default_sni")) ? 0 : -1;
}

/* match.sni; "" in it matches a client that sends no SNI */
static int tls_policy_sni(struct lower *l, const struct json *v, void *record)
{
  struct lowered_tls_policy *p = record;
  int bad = tls_strings(l, v, "sni", NULL, &p->sni, &p->sni_count);
  size_t kept = 0;
  for (size_t i = 0; i < p->sni_count; i++) {
    if (p->sni[i][0] == 0)
      p->sni_none = true;
    else
      p->sni[kept++] = arena_strdup(l->a, p->sni[i]);
  }
  p->sni_count = kept;
  if (p->sni_none && kept == 0) {   /* only "": the empty list would match every client */
    lower_refuse(l, v, "a policy that matches only clients without SNI");
    return -1;
  }
  return bad;
}

static const struct lower_key tls_match_keys[] = {
  {"sni", NULL, tls_policy_sni}, {"remote_ip", "remote_ip", lower_key_refused},
  {"local_ip", "local_ip", lower_key_refused}, {NULL, NULL, NULL},
};

static int tls_policy_match(struct lower *l, const struct json *v, void *record)
{
  return lower_object_keys(l, v, tls_match_keys, "TLS connection policy match", record);
}

static int tls_selection_tags(struct lower *l, const struct json *v, void *record)
{
  struct lowered_tls_policy *p = record;
  return tls_strings(l, v, "certificate tag", NULL, &p->tags, &p->tag_count);
}

static const struct lower_key tls_selection_keys[] = {
  {"any_tag", NULL, tls_selection_tags}, {"all_tags", NULL, lower_key_refused},
  {"serial_number", NULL, lower_key_refused}, {"subject_organization", NULL, lower_key_refused},
  {"public_key_algorithm", NULL, lower_key_refused}, {"policy", NULL, lower_key_refused}, {NULL, NULL, NULL},
};

static int tls_policy_selection(struct lower *l, const struct json *v, void *record)
{
  return lower_object_keys(l, v, tls_selection_keys, "certificate_selection", record);
}

/* ---- client_authentication ---- */

static const char *const tls_auth_modes[] = {"", "request", "require", "verify_if_given", "require_and_verify", NULL};

static int tls_auth_mode(struct lower *l, const struct json *v, void *record)
{
  struct lowered_tls_policy *p = record;
  const char *s = lower_string(l, v, "client_auth mode");
  for (unsigned i = 1; s && tls_auth_modes[i]; i++)
    if (strcmp(s, tls_auth_modes[i]) == 0) {
      p->client_auth = i;
      return 0;
    }
  if (s)
    lower_refuse(l, v, "client_auth mode '%s'", s);
  return -1;
}

/* one base64 DER certificate as PEM text, 64 columns as PEM writes it */
static const char *tls_der_to_pem(struct lower *l, const char *b64)
{
  struct strbuf sb;
  strbuf_init(&sb, l->a);
  strbuf_puts(&sb, "-----BEGIN CERTIFICATE-----\n");
  size_t n = 0;
  for (const char *c = b64; *c; c++) {
    if (*c == '\n' || *c == '\r' || *c == ' ')
      continue;
    strbuf_putc(&sb, *c);
    if (++n % 64 == 0)
      strbuf_putc(&sb, '\n');
  }
  strbuf_puts(&sb, n % 64 ? "\n-----END CERTIFICATE-----\n" : "-----END CERTIFICATE-----\n");
  return strbuf_cstr(&sb);
}

static bool tls_base64_ok(const char *s)
{
  size_t n = strlen(s);
  return n > 0 && n % 4 == 0 && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") == n;
}

/* trusted_ca_certs (base64 DER) -> trust_pem */
static int tls_auth_inline(struct lower *l, const struct json *v, void *record)
{
  struct lowered_tls_policy *p = record;
  const char **ders = NULL;
  size_t count = 0;
  int bad = tls_strings(l, v, "trusted CA certificate (base64 DER)", tls_base64_ok, &ders, &count);
  p->trust_pems = arena_alloc(l->a, (p->trust_pem_count + count + 1) * sizeof *p->trust_pems);
  for (size_t i = 0; i < count; i++)
    p->trust_pems[p->trust_pem_count++] = tls_der_to_pem(l, ders[i]);
  p->has_trust = true;
  return bad;
}

static int tls_auth_files(struct lower *l, const struct json *v, void *record)
{
  struct lowered_tls_policy *p = record;
  const char **files = NULL;
  size_t count = 0;
  int bad = tls_strings(l, v, "trust pool file", NULL, &files, &count);
  const char **all = arena_alloc(l->a, (p->trust_file_count + count + 1) * sizeof *all);
  if (p->trust_file_count)
    memcpy(all, p->trust_files, p->trust_file_count * sizeof *all);
  memcpy(all + p->trust_file_count, files, count * sizeof *all);
  p->trust_files = all;
  p->trust_file_count += count;
  p->has_trust = true;
  return bad;
}

static const struct lower_key tls_pool_inline_keys[] = {
  {"provider", NULL, NULL}, {"trusted_ca_certs", NULL, tls_auth_inline}, {NULL, NULL, NULL},
};

static const struct lower_key tls_pool_file_keys[] = {
  {"provider", NULL, NULL}, {"pem_files", NULL, tls_auth_files}, {NULL, NULL, NULL},
};

/* ca: the trust pool; providers other than inline and file are refused */
static int tls_auth_pool(struct lower *l, const struct json *v, void *record)
{
  const char *provider = v->kind == JSON_OBJECT ? json_str(json_object_get(v, "provider")) : NULL;
  if (provider && strcmp(provider, "inline") == 0)
    return lower_keys(l, v, tls_pool_inline_keys, "trust_pool inline", record);
  if (provider && strcmp(provider, "file") == 0)
    return lower_keys(l, v, tls_pool_file_keys, "trust_pool file", record);
  lower_refuse(l, v, "trust_pool '%s'", provider ? provider : "?");
  return -1;
}

static const struct lower_key tls_auth_keys[] = {
  {"mode", NULL, tls_auth_mode}, {"ca", NULL, tls_auth_pool}, {"trusted_ca_certs", NULL, tls_auth_inline},
  {"trusted_ca_certs_pem_files", NULL, tls_auth_files},
  {"trusted_leaf_certs", "trusted_leaf_cert trusted_leaf_cert_file", lower_key_refused},
  {"verifiers", "verifier", lower_key_refused}, {NULL, NULL, NULL},
};

/* Caddy's default mode: require_and_verify with a trust pool, else require */
static int tls_policy_auth(struct lower *l, const struct json *v, void *record)
{
  struct lowered_tls_policy *p = record;
  int bad = lower_object_keys(l, v, tls_auth_keys, "client_auth", record);
  if (p->client_auth == 0 && v->count > 0)
    p->client_auth = p->has_trust ? 4 : 2;
  return bad;
}

/* the members of a connection policy, named as the tls directive writes them */
static const struct lower_key tls_policy_keys[] = {
  {"match", NULL, tls_policy_match}, {"certificate_selection", NULL, tls_policy_selection},
  {"cipher_suites", "ciphers", tls_policy_ciphers}, {"curves", "curves", tls_policy_curves},
  {"alpn", "alpn", tls_policy_alpn}, {"protocol_min", "protocols", tls_policy_min},
  {"protocol_max", "protocols", tls_policy_max}, {"default_sni", NULL, tls_policy_default_sni},
  {"client_authentication", "client_auth", tls_policy_auth},
  {"fallback_sni", NULL, lower_key_refused}, {"insecure_secrets_log", "insecure_secrets_log", lower_key_refused},
  {"drop", NULL, lower_key_refused}, {"handshake_context", NULL, lower_key_refused},
  {"ech", "ech", lower_key_refused}, {NULL, NULL, NULL},
};

int lower_tls_policies(struct lower *l, const struct json *list, struct lowered_server *s)
{
  if (!(s->policies = lower_items(l, list, sizeof *s->policies, "tls_connection_policies that are not a list")))
    return -1;
  int bad = 0;
  for (size_t i = 0; i < list->count; i++) {
    const struct json *cp = list->items[i];
    struct lowered_tls_policy *p = &s->policies[s->policy_count++];
    p->pos = lower_pos(l, cp);
    bad |= lower_object_keys_at(l, cp, tls_policy_keys, "TLS connection policy", p);
    if (p->protocol_min && p->protocol_max && p->protocol_min > p->protocol_max) {
      lower_refuse(l, json_object_get(cp, "protocol_max"), "protocols with a maximum below the minimum");
      bad = -1;
    }
    s->strict_sni |= p->client_auth != 0;
  }
  return bad;
}
