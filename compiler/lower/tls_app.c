/* The tls app (loaded certificates, automation policies), the pki app's
 * local CA and the config's storage to the tls_cert rows and the tls_app row.
 * Automation policies are kept for autohttps.c, which decides which names
 * get a certificate from the local CA and refuses the ones that need ACME. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "lower_parts.h"

/* a JSON string list into out (NULL entries skipped after refusing) */
static int tls_app_strings(struct lower *l, const struct json *v, const char *what, const char ***out,
                           size_t *count)
{
  const char **items = lower_items(l, v, sizeof *items, arena_printf(l->a, "%s that are not a list", what));
  if (!items)
    return -1;
  int bad = 0;
  for (size_t i = 0; i < v->count; i++) {
    const char *s = lower_string(l, v->items[i], what);
    bad |= s ? 0 : -1;
    if (s)
      items[(*count)++] = s;
  }
  *out = items;
  return bad;
}

/* ---- certificates: load_files, load_folders ---- */

static int tls_file_certificate(struct lower *l, const struct json *v, void *record)
{
  return (((struct lowered_tls_cert *)record)->chain = lower_string(l, v, "certificate file")) ? 0 : -1;
}

static int tls_file_key(struct lower *l, const struct json *v, void *record)
{
  return (((struct lowered_tls_cert *)record)->key = lower_string(l, v, "key file")) ? 0 : -1;
}

static int tls_file_tags(struct lower *l, const struct json *v, void *record)
{
  struct lowered_tls_cert *c = record;
  return tls_app_strings(l, v, "certificate tags", &c->tags, &c->tag_count);
}

static int tls_file_format(struct lower *l, const struct json *v, void *record)
{
  (void)record;
  return lower_only(l, v, "certificate format", "pem");
}

static const struct lower_key tls_file_keys[] = {
  {"certificate", NULL, tls_file_certificate}, {"key", NULL, tls_file_key}, {"tags", NULL, tls_file_tags},
  {"format", NULL, tls_file_format}, {NULL, NULL, NULL},
};

static struct lowered_tls_cert *tls_cert_new(struct lower *l, struct lowered_config *out, const struct json *v)
{
  struct lowered_tls_cert *c = ARENA_PUSH(l->a, out->certs, out->cert_count, out->cert_cap);
  c->pos = lower_pos(l, v);
  return c;
}

static int tls_load_files(struct lower *l, const struct json *v, void *record)
{
  struct lowered_config *out = record;
  if (!lower_items(l, v, 1, "load_files that is not a list"))
    return -1;
  int bad = 0;
  for (size_t i = 0; i < v->count; i++) {
    const struct json *f = v->items[i];
    if (f->kind != JSON_OBJECT) {
      lower_refuse(l, f, "a load_files entry that is not an object");
      bad = -1;
      continue;
    }
    struct lowered_tls_cert *c = tls_cert_new(l, out, f);
    bad |= lower_keys(l, f, tls_file_keys, "load_files", c);
    if (!c->chain || !c->key) {
      lower_refuse(l, f, "a load_files entry without certificate and key");
      bad = -1;
    }
  }
  return bad;
}

static int tls_load_folders(struct lower *l, const struct json *v, void *record)
{
  struct lowered_config *out = record;
  const char **folders = NULL;
  size_t count = 0;
  int bad = tls_app_strings(l, v, "load_folders", &folders, &count);
  for (size_t i = 0; i < count; i++) {
    struct lowered_tls_cert *c = tls_cert_new(l, out, v->items[i]);
    c->chain = folders[i];
    c->folder = true;
  }
  return bad;
}

static const struct lower_key tls_certificates_keys[] = {
  {"load_files", NULL, tls_load_files}, {"load_folders", "load", tls_load_folders},
  {"load_pem", NULL, lower_key_refused}, {"load_storage", NULL, lower_key_refused},
  {"automate", NULL, lower_key_refused}, {NULL, NULL, NULL},
};

/* ---- automation policies ---- */

/* a caddy.Duration in whole seconds, min_secs up to 68 years; refused as what */
static int tls_seconds(struct lower *l, const struct json *v, long long min_secs, const char *what, unsigned *out)
{
  long long ns, secs = lower_duration_ns(v, &ns) < 0 || ns < 0 ? -1 : ns / 1000000000LL;
  if (secs < min_secs || secs > 0x7fffffff) {
    lower_refuse(l, v, "%s that is not between %s and 68 years", what, min_secs == 60 ? "1m" : "1s");
    return -1;
  }
  *out = (unsigned)secs;
  return 0;
}

static int tls_internal_lifetime(struct lower *l, const struct json *v, void *record)
{
  struct lower_auto_policy *ap = record;
  ap->lifetime_node = v;
  return tls_seconds(l, v, 60, "internal issuer lifetime", &ap->lifetime);
}

static int tls_internal_ca(struct lower *l, const struct json *v, void *record)
{
  (void)record;
  return lower_only(l, v, "internal issuer CA", "local");
}

static const struct lower_key tls_internal_keys[] = {
  {"module", NULL, NULL}, {"lifetime", NULL, tls_internal_lifetime}, {"ca", NULL, tls_internal_ca},
  {"sign_with_root", "sign_with_root", lower_key_refused}, {NULL, NULL, NULL},
};

/* the first issuer decides: internal, or a public CA (acme, zerossl: ACME) */
static int tls_policy_issuers(struct lower *l, const struct json *v, void *record)
{
  struct lower_auto_policy *ap = record;
  if (!lower_items(l, v, 1, "issuers that are not a list"))
    return -1;
  ap->has_issuers = v->count > 0;
  const struct json *first = v->count ? v->items[0] : NULL;
  const char *module = first ? json_str(json_object_get(first, "module")) : NULL;
  if (module && strcmp(module, "internal") == 0) {
    ap->internal = true;
    return lower_keys(l, first, tls_internal_keys, "internal issuer", ap);
  }
  if (v->count > 16) {
    lower_refuse(l, v->items[16], "more than 16 issuers in one automation policy");
    return -1;
  }
  /* ACME issuers, the first one primary and the others its fallbacks, as certmagic tries them */
  ap->acme = arena_alloc(l->a, (v->count + 1) * sizeof *ap->acme);
  int bad = 0;
  for (size_t i = 0; i < v->count; i++) {
    const struct json *iss = v->items[i];
    module = iss->kind == JSON_OBJECT ? json_str(json_object_get(iss, "module")) : NULL;
    if (module && strcmp(module, "acme") == 0) {
      bad |= lower_acme_issuer(l, iss, &ap->acme[ap->acme_count++]);
      continue;
    }
    if (module && strcmp(module, "zerossl") == 0)
      lower_refuse(l, iss, "issuer 'zerossl' (it needs EAB credentials from ZeroSSL's API, which zsrt does not fetch)");
    else
      lower_refuse(l, iss, "issuer '%s' after the first (only ACME issuers can follow one another)",
                   module ? module : "?");
    bad = -1;
  }
  return bad;
}

static int tls_policy_subjects(struct lower *l, const struct json *v, void *record)
{
  struct lower_auto_policy *ap = record;
  return tls_app_strings(l, v, "automation policy subjects", &ap->subjects, &ap->subject_count);
}

/* the local CA's leaf key: one of Caddy's key types (abi/config.def's list) */
static int tls_policy_key_type(struct lower *l, const struct json *v, void *record)
{
  struct lower_auto_policy *ap = record;
  static const struct { const char *name; unsigned value; } types[] = {
#define TLS_KEY_TYPE_ROW(constant, value, name) {name, value},
    ZS_KEY_TYPES(TLS_KEY_TYPE_ROW)
#undef TLS_KEY_TYPE_ROW
  };
  const char *name = lower_string(l, v, "key_type");
  ap->key_type_node = v;
  for (size_t i = 0; name && i < sizeof types / sizeof types[0]; i++)
    if (strcmp(name, types[i].name) == 0) {
      ap->key_type = types[i].value;
      return 0;
    }
  if (name)
    lower_refuse(l, v, "key_type '%s'", name);
  return -1;
}

static const struct lower_key tls_automation_policy_keys[] = {
  {"subjects", NULL, tls_policy_subjects}, {"issuers", "issuer", tls_policy_issuers},
  {"key_type", "key_type", tls_policy_key_type}, {"on_demand", "on_demand", lower_key_refused},
  {"must_staple", "must_staple", lower_key_refused}, {"renewal_window_ratio", NULL, lower_key_refused},
  {"reuse_private_keys", "reuse_private_keys", lower_key_refused},
  {"get_certificate", "get_certificate", lower_key_refused},
  {"disable_ocsp_stapling", "ocsp_stapling", lower_key_refused}, {"ocsp_overrides", NULL, lower_key_refused},
  {"storage", NULL, lower_key_refused}, {NULL, NULL, NULL},
};

static int tls_automation_policies(struct lower *l, const struct json *v, void *record)
{
  (void)record;
  if (!(l->auto_policies = lower_items(l, v, sizeof *l->auto_policies, "automation policies that are not a list")))
    return -1;
  int bad = 0;
  for (size_t i = 0; i < v->count; i++) {
    const struct json *p = v->items[i];
    struct lower_auto_policy *ap = &l->auto_policies[l->auto_policy_count++];
    ap->node = p;
    ap->acme_row = -1;
    bad |= lower_object_keys_at(l, p, tls_automation_policy_keys, "automation policy", ap);
  }
  return bad;
}

static int tls_renew_interval(struct lower *l, const struct json *v, void *record)
{
  struct lowered_config *out = record;
  return tls_seconds(l, v, 1, "renew_interval", &out->tls_app.renew_interval);
}

static const struct lower_key tls_automation_keys[] = {
  {"policies", NULL, tls_automation_policies}, {"on_demand", "on_demand_tls", lower_key_refused},
  {"ocsp_interval", NULL, lower_key_refused}, {"renew_interval", "renew_interval", tls_renew_interval},
  {"storage_clean_interval", "storage_clean_interval", lower_key_refused}, {NULL, NULL, NULL},
};

static int tls_certificates(struct lower *l, const struct json *v, void *record)
{
  return lower_object_keys(l, v, tls_certificates_keys, "tls certificates", record);
}

static int tls_automation(struct lower *l, const struct json *v, void *record)
{
  return lower_object_keys(l, v, tls_automation_keys, "tls automation", record);
}

static const struct lower_key tls_app_keys[] = {
  {"certificates", NULL, tls_certificates}, {"automation", NULL, tls_automation},
  {"session_tickets", NULL, lower_key_refused}, {"cache", "cache", lower_key_refused},
  {"disable_ocsp_stapling", "ocsp_stapling", lower_key_refused}, {"dns", "dns", lower_key_refused},
  {"ech", "ech", lower_key_refused}, {"resolvers", "resolvers", lower_key_refused},
  /* zsrt neither checks nor cleans certificate storage: both switches say what it does */
  {"disable_storage_check", "storage_check", NULL}, {"disable_storage_clean", "storage_clean_interval", NULL},
  {NULL, NULL, NULL},
};

/* ---- the pki app: the local CA's name and whether to install its root ---- */

static int tls_ca_name(struct lower *l, const struct json *v, void *record)
{
  struct lowered_config *out = record;
  return (out->tls_app.ca_name = lower_string(l, v, "local CA name")) ? 0 : -1;
}

static int tls_ca_install_trust(struct lower *l, const struct json *v, void *record)
{
  struct lowered_config *out = record;
  bool install = true;
  int rc = lower_bool(l, v, "install_trust", &install);
  out->tls_app.skip_install_trust = !install;
  return rc;
}

static const struct lower_key tls_ca_keys[] = {
  {"name", NULL, tls_ca_name}, {"install_trust", NULL, tls_ca_install_trust},
  {"root_common_name", "root_cn", lower_key_refused}, {"intermediate_common_name", "intermediate_cn", lower_key_refused},
  {"intermediate_lifetime", "intermediate_lifetime", lower_key_refused}, {"root", "root", lower_key_refused},
  {"intermediate", "intermediate", lower_key_refused}, {"maintenance_interval", NULL, lower_key_refused},
  {"renewal_window_ratio", NULL, lower_key_refused}, {"storage", NULL, lower_key_refused}, {NULL, NULL, NULL},
};

static int tls_pki_cas(struct lower *l, const struct json *v, void *record)
{
  int bad = 0;
  for (size_t i = 0; v->kind == JSON_OBJECT && i < v->count; i++) {
    const struct json *ca = v->members[i].value;
    if (strcmp(v->members[i].key, "local") != 0 || ca->kind != JSON_OBJECT) {
      lower_refuse(l, ca, "certificate authority '%s' (only the local CA)", v->members[i].key);
      bad = -1;
      continue;
    }
    bad |= lower_keys(l, ca, tls_ca_keys, "pki ca", record);
  }
  return bad;
}

static const struct lower_key tls_pki_keys[] = {
  {"certificate_authorities", NULL, tls_pki_cas}, {NULL, NULL, NULL},
};

/* ---- storage ---- */

static int tls_storage_root(struct lower *l, const struct json *v, void *record)
{
  struct lowered_config *out = record;
  return (out->tls_app.storage = lower_string(l, v, "storage root")) ? 0 : -1;
}

static const struct lower_key tls_storage_keys[] = {
  {"module", NULL, NULL}, {"root", NULL, tls_storage_root}, {NULL, NULL, NULL},
};

int lower_storage(struct lower *l, const struct json *v, struct lowered_config *out)
{
  const char *module = v->kind == JSON_OBJECT ? json_str(json_object_get(v, "module")) : NULL;
  if (!module || strcmp(module, "file_system") != 0) {
    lower_refuse(l, v, "storage '%s'", module ? module : "?");
    return -1;
  }
  out->tls_app.present = true;
  return lower_keys(l, v, tls_storage_keys, "storage", out);
}

int lower_tls_app(struct lower *l, const struct json *tls, const struct json *pki, struct lowered_config *out)
{
  int bad = 0;
  out->tls_app.present |= tls || pki;
  if (tls)
    bad |= lower_object_keys(l, tls, tls_app_keys, "tls app", out);
  if (pki)
    bad |= lower_object_keys(l, pki, tls_pki_keys, "pki app", out);
  return bad;
}
