/* An automation policy's ACME issuers (Caddy's acme issuer module) to
 * acme_issuer records: the CA, the account's email, the CA's trusted roots
 * and which challenges are on. What the certificate manager cannot do (EAB,
 * DNS-01, preferred chains, a challenge on a port zsrt does not serve) is
 * refused at the token. Not the choice of issuer per name: autohttps.c. */
#include <string.h>

#include "lower_parts.h"

/* certmagic's default CA (LetsEncryptProductionCA) */
#define ACME_DEFAULT_CA "https://acme-v02.api.letsencrypt.org/directory"
/* ZeroSSL's directory: the CA wants EAB credentials from ZeroSSL's API, which zsrt does not fetch */
#define ACME_ZEROSSL_CA "https://acme.zerossl.com/v2/DV90"

static int acme_ca(struct lower *l, const struct json *v, void *record)
{
  struct lower_acme_issuer *iss = record;
  const char *ca = lower_string(l, v, "acme CA");
  if (!ca)
    return -1;
  if (strncmp(ca, "https://", 8) != 0) {
    lower_refuse(l, v, "ACME CA '%s' that is not an https URL", ca);
    return -1;
  }
  if (strcmp(ca, ACME_ZEROSSL_CA) == 0) {
    /* Caddy adds ZeroSSL as the fallback issuer of an `email`: refused there */
    const struct json *email = json_object_get(iss->node, "email");
    bool implied = lower_pos(l, v).line == 0 && email && lower_pos(l, email).line > 0;
    lower_refuse(l, implied ? email : v, "%s '%s' (ZeroSSL needs EAB credentials from its API, which zsrt does not "
                 "fetch; set acme_ca or cert_issuer acme)", implied ? "the fallback ACME CA" : "ACME CA", ca);
    return -1;
  }
  iss->rec.ca = ca;
  return 0;
}

static int acme_email(struct lower *l, const struct json *v, void *record)
{
  struct lower_acme_issuer *iss = record;
  const char *email = lower_string(l, v, "email");
  if (email && (strchr(email, '/') || strchr(email, '\n'))) {
    lower_refuse(l, v, "email '%s'", email);
    return -1;
  }
  iss->rec.email = email && *email ? email : NULL;
  return email ? 0 : -1;
}

static int acme_roots(struct lower *l, const struct json *v, void *record)
{
  struct lower_acme_issuer *iss = record;
  const char **items = lower_items(l, v, sizeof *items, "trusted_roots_pem_files that are not a list");
  if (!items)
    return -1;
  int bad = 0;
  for (size_t i = 0; i < v->count; i++) {
    if (i == 1) {
      lower_refuse(l, v->items[i], "a second trusted root file for the ACME CA (the client trusts one file)");
      return -1;
    }
    const char *s = lower_string(l, v->items[i], "trusted root file");
    bad |= s ? 0 : -1;
    if (s)
      items[iss->rec.root_file_count++] = s;
  }
  iss->rec.root_files = items;
  return bad;
}

static int acme_port(struct lower *l, const struct json *v, const struct json **at, unsigned *port)
{
  long p = json_int(v, -1);
  if (p < 1 || p > 65535) {
    lower_refuse(l, v, "challenge alternate_port that is not a port");
    return -1;
  }
  *at = v;
  *port = (unsigned)p;
  return 0;
}

static int acme_http_disabled(struct lower *l, const struct json *v, void *record)
{
  return lower_bool(l, v, "disable_http_challenge", &((struct lower_acme_issuer *)record)->rec.no_http01);
}

static int acme_http_port(struct lower *l, const struct json *v, void *record)
{
  struct lower_acme_issuer *iss = record;
  return acme_port(l, v, &iss->http_port_node, &iss->http_port);
}

static int acme_alpn_disabled(struct lower *l, const struct json *v, void *record)
{
  struct lower_acme_issuer *iss = record;
  iss->alpn_off_node = v;
  return lower_bool(l, v, "disable_tlsalpn_challenge", &iss->rec.no_tlsalpn01);
}

static int acme_alpn_port(struct lower *l, const struct json *v, void *record)
{
  struct lower_acme_issuer *iss = record;
  return acme_port(l, v, &iss->alpn_port_node, &iss->alpn_port);
}

static const struct lower_key acme_http_keys[] = {
  {"disabled", NULL, acme_http_disabled}, {"alternate_port", NULL, acme_http_port}, {NULL, NULL, NULL},
};

static const struct lower_key acme_alpn_keys[] = {
  {"disabled", NULL, acme_alpn_disabled}, {"alternate_port", NULL, acme_alpn_port}, {NULL, NULL, NULL},
};

static int acme_http(struct lower *l, const struct json *v, void *record)
{
  return lower_object_keys(l, v, acme_http_keys, "http challenge", record);
}

static int acme_alpn(struct lower *l, const struct json *v, void *record)
{
  return lower_object_keys(l, v, acme_alpn_keys, "tls-alpn challenge", record);
}

static int acme_bind_host(struct lower *l, const struct json *v, void *record)
{
  (void)record;
  if (v->kind != JSON_STRING) {
    lower_refuse(l, v, "acme challenges bind_host that is not a string");
    return -1;
  }
  return 0;
}

static const struct lower_key acme_challenge_keys[] = {
  {"http", NULL, acme_http}, {"tls-alpn", NULL, acme_alpn}, {"dns", "dns acme_dns", lower_key_refused},
  /* bind_host comes from the site's bind or default_bind: zsrt answers challenges on its own
   * listeners, which those put on that address, as Caddy's HTTP app answers them there */
  {"bind_host", "bind", acme_bind_host}, {"distributed", NULL, lower_key_refused}, {NULL, NULL, NULL},
};

static int acme_challenges(struct lower *l, const struct json *v, void *record)
{
  return lower_object_keys(l, v, acme_challenge_keys, "acme challenges", record);
}

static const struct lower_key acme_issuer_keys[] = {
  {"module", NULL, NULL}, {"ca", "ca acme_ca dir", acme_ca}, {"email", "email", acme_email},
  {"trusted_roots_pem_files", "trusted_roots acme_ca_root ca_root", acme_roots},
  {"challenges", NULL, acme_challenges},
  {"test_ca", "test_ca", lower_key_refused}, {"account_key", "account_key", lower_key_refused},
  {"external_account", "eab acme_eab", lower_key_refused}, {"acme_timeout", "timeout", lower_key_refused},
  {"preferred_chains", "preferred_chains", lower_key_refused},
  {"certificate_lifetime", "lifetime cert_lifetime", lower_key_refused}, {"profile", "profile", lower_key_refused},
  {"network_proxy", "network_proxy", lower_key_refused}, {NULL, NULL, NULL},
};

int lower_acme_issuer(struct lower *l, const struct json *v, struct lower_acme_issuer *out)
{
  memset(out, 0, sizeof *out);
  out->node = v;
  out->rec.ca = ACME_DEFAULT_CA;
  return lower_object_keys_at(l, v, acme_issuer_keys, "acme issuer", out);
}

void lower_acme_default(struct lower_acme_issuer *out)
{
  memset(out, 0, sizeof *out);
  out->rec.ca = ACME_DEFAULT_CA;
}
