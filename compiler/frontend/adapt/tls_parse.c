/* The tls directive (parseTLS) and the TLS-related global options: issuers
 * (acme, zerossl, internal), certificate loaders and managers, DNS challenge
 * settings and connection policy settings, as config values in the pile. */
#include <stdlib.h>
#include <string.h>

#include "adapt.h"

#define ZEROSSL_ACME_CA "https://acme.zerossl.com/v2/DV90"

static struct json *tls_module(struct helper *h, const char *key, const char *name)
{
  struct json *m = jobj(h->ad->arena);
  jset(h->ad->arena, m, key, jstr(h->ad->arena, name, disp_pos(&h->d)));
  return m;
}

static bool tls_is_zerossl(struct json *iss)
{
  const char *m = json_str(json_object_get(iss, "module"));
  return m && !strcmp(m, "zerossl");
}

/* where DNS settings go: an ACME issuer's challenges.dns, a ZeroSSL issuer's cname_validation */
static struct json *tls_dns_config(struct helper *h, struct json *iss)
{
  if (tls_is_zerossl(iss))
    return jget_or_new(h->ad->arena, iss, "cname_validation", JSON_OBJECT);
  struct json *ch = jget_or_new(h->ad->arena, iss, "challenges", JSON_OBJECT);
  return jget_or_new(h->ad->arena, ch, "dns", JSON_OBJECT);
}

/* dns PROVIDER [args] { } as {"name": ..., "argument"...}; only argument-style providers */
static struct json *tls_dns_provider(struct helper *h)
{
  struct json *p = tls_module(h, "name", disp_val(&h->d));
  if (disp_next_arg(&h->d))
    jset(h->ad->arena, p, "argument", jstr(h->ad->arena, disp_val(&h->d), disp_pos(&h->d)));
  for (int nest = h->d.nesting; disp_next_block(&h->d, nest);) {
    const char *key = disp_val(&h->d);
    if (disp_next_arg(&h->d))
      jset(h->ad->arena, p, key, jstr(h->ad->arena, disp_val(&h->d), disp_pos(&h->d)));
  }
  return p;
}

static int tls_duration_into(struct helper *h, struct json *obj, const char *key)
{
  if (!disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  long long ns;
  if (!strcmp(disp_val(&h->d), "-1"))
    ns = -1;
  else if (go_parse_duration(disp_val(&h->d), &ns) < 0)
    return disp_errf(&h->d, "invalid %s duration %s", key, disp_val(&h->d));
  jset(h->ad->arena, obj, key, jint(h->ad->arena, ns, disp_pos(&h->d)));
  return disp_next_arg(&h->d) ? disp_arg_err(&h->d) : 0;
}

/* DNS challenge subdirectives shared by `tls` and `issuer acme`: each row
 * writes acme.challenges.dns; the duration rows also name themselves in
 * dns_opts (when given) for the "requires a DNS provider" check. */
struct tls_dns_row {
  const char *name;
  int (*parse)(struct helper *h, struct json *acme, const struct tls_dns_row *row);
  const char *key;
};

/* dns [PROVIDER [args] { }] */
static int tls_dns_set_provider(struct helper *h, struct json *acme, const struct tls_dns_row *row)
{
  (void)row;
  struct json *dns = tls_dns_config(h, acme);
  if (disp_next_arg(&h->d))
    jset(h->ad->arena, dns, "provider", tls_dns_provider(h));
  else if (tls_is_zerossl(acme))
    return disp_arg_err(&h->d);
  else if (!json_object_get(h->ad->options, "dns"))
    return disp_errf(&h->d, "no DNS provider configured; set one with the 'dns' global option or specify one here");
  return 0;
}

static int tls_dns_set_duration(struct helper *h, struct json *acme, const struct tls_dns_row *row)
{
  return tls_duration_into(h, tls_dns_config(h, acme), row->key);
}

static int tls_dns_set_strings(struct helper *h, struct json *acme, const struct tls_dns_row *row)
{
  int n;
  const char **args = disp_remaining_args(&h->d, &n);
  if (!n)
    return disp_arg_err(&h->d);
  jset(h->ad->arena, tls_dns_config(h, acme), row->key, jstrarr(h->ad->arena, args, n, disp_pos(&h->d)));
  return 0;
}

static int tls_dns_set_string(struct helper *h, struct json *acme, const struct tls_dns_row *row)
{
  if (!disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  jset(h->ad->arena, tls_dns_config(h, acme), row->key, jstr(h->ad->arena, disp_val(&h->d), disp_pos(&h->d)));
  return 0;
}

static const struct tls_dns_row tls_dns_rows[] = {
  {"dns", tls_dns_set_provider, NULL},
  {"propagation_delay", tls_dns_set_duration, "propagation_delay"},
  {"propagation_timeout", tls_dns_set_duration, "propagation_timeout"},
  {"dns_ttl", tls_dns_set_duration, "ttl"},
  {"resolvers", tls_dns_set_strings, "resolvers"},
  {"dns_challenge_override_domain", tls_dns_set_string, "override_domain"},
};

/* 1 when sub is not a DNS challenge subdirective */
static int tls_dns_option(struct helper *h, struct json *acme, const char *sub, struct name_list *dns_opts)
{
  const struct tls_dns_row *row = TABLE_FIND(tls_dns_rows, sub);
  if (!row)
    return 1;
  if (dns_opts && row->parse == tls_dns_set_duration)
    *ARENA_PUSH(h->ad->arena, dns_opts->items, dns_opts->count, dns_opts->cap) = sub;
  return row->parse(h, acme, row);
}

static int tls_preferred_chains(struct helper *h, struct json *owner)
{
  struct arena *a = h->ad->arena;
  struct json *pc = jobj(a);
  if (disp_next_arg(&h->d)) {
    if (strcmp(disp_val(&h->d), "smallest"))
      return disp_errf(&h->d, "unknown preferred_chains argument '%s'", disp_val(&h->d));
    jset(a, pc, "smallest", jbool(a, true));
  }
  for (int nest = h->d.nesting; disp_next_block(&h->d, nest);) {
    const char *sub = disp_val(&h->d);
    if (strcmp(sub, "root_common_name") && strcmp(sub, "any_common_name"))
      return disp_errf(&h->d, "unrecognized chain preference '%s'", sub);
    int n;
    const char **args = disp_remaining_args(&h->d, &n);
    jset(a, pc, sub, jstrarr(a, args, n, disp_pos(&h->d)));
  }
  jset(a, owner, "preferred_chains", pc);
  return 0;
}

/* `issuer acme { ... }` properties besides the DNS ones: each sets key on the issuer */
struct tls_acme_row {
  const char *name;
  int (*parse)(struct helper *h, struct json *iss, const char *key);
  const char *key;
};

static int tls_acme_string(struct helper *h, struct json *iss, const char *key)
{
  if (!strcmp(key, "ca") && json_object_get(iss, "ca"))
    return disp_errf(&h->d, "directory is already specified: %s", json_str(json_object_get(iss, "ca")));
  if (!disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  jset(h->ad->arena, iss, key, jstr(h->ad->arena, disp_val(&h->d), disp_pos(&h->d)));
  return disp_next_arg(&h->d) ? disp_arg_err(&h->d) : 0;
}

/* lifetime / timeout DURATION (Go's ParseDuration; a lifetime is >= 0) */
static int tls_acme_duration(struct helper *h, struct json *iss, const char *key)
{
  if (!disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  const char *text = disp_val(&h->d);
  struct srcpos pos = disp_pos(&h->d);
  if (disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  long long ns;
  bool lifetime = !strcmp(key, "certificate_lifetime");
  if (go_parse_duration(text, &ns) < 0)
    return disp_errf(&h->d, "invalid %s %s", lifetime ? "lifetime" : "timeout duration", text);
  if (lifetime && ns < 0)
    return disp_errf(&h->d, "lifetime must be >= 0: %s", text);
  jset(h->ad->arena, iss, key, jint(h->ad->arena, ns, pos));
  return 0;
}

/* alt_http_port / alt_tlsalpn_port PORT: challenges.KEY.alternate_port
 * (a ZeroSSL issuer has only alternate_http_port) */
static int tls_acme_alt_port(struct helper *h, struct json *iss, const char *key)
{
  struct arena *a = h->ad->arena;
  if (!disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  char *end;
  long port = strtol(disp_val(&h->d), &end, 10);
  if (!*disp_val(&h->d) || *end)
    return disp_errf(&h->d, "invalid port %s: strconv.Atoi: parsing \"%s\": invalid syntax", disp_val(&h->d),
                     disp_val(&h->d));
  struct json *v = jint(a, port, disp_pos(&h->d));
  if (tls_is_zerossl(iss))
    jset(a, iss, "alternate_http_port", v);
  else
    jset(a, jget_or_new(a, jget_or_new(a, iss, "challenges", JSON_OBJECT), key, JSON_OBJECT), "alternate_port", v);
  return 0;
}

/* distributed false: challenges.distributed false (the only value Caddy takes) */
static int tls_acme_distributed(struct helper *h, struct json *iss, const char *key)
{
  if (!disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  if (strcmp(disp_val(&h->d), "false"))
    return disp_errf(&h->d, "only accepted value is 'false'");
  jset(h->ad->arena, jget_or_new(h->ad->arena, iss, "challenges", JSON_OBJECT), key, jbool(h->ad->arena, false));
  return 0;
}

/* {key_id, mac_key}: the External Account Binding of `eab KEY_ID MAC_KEY` and `acme_eab { }` */
static struct json *tls_eab(struct arena *a, const char *key_id, const char *mac_key, struct srcpos pos)
{
  struct json *eab = json_new(a, JSON_OBJECT, pos);
  if (key_id)
    jset(a, eab, "key_id", jstr(a, key_id, pos));
  if (mac_key)
    jset(a, eab, "mac_key", jstr(a, mac_key, pos));
  return eab;
}

static int tls_acme_eab(struct helper *h, struct json *iss, const char *key)
{
  int n;
  struct srcpos pos = disp_pos(&h->d);
  const char **args = disp_remaining_args(&h->d, &n);
  if (n != 2)
    return disp_arg_err(&h->d);
  jset(h->ad->arena, iss, key, tls_eab(h->ad->arena, args[0], args[1], pos));
  return 0;
}

static int tls_acme_strings(struct helper *h, struct json *iss, const char *key)
{
  int n;
  const char **args = disp_remaining_args(&h->d, &n);
  jset(h->ad->arena, iss, key, jstrarr(h->ad->arena, args, n, disp_pos(&h->d)));
  return 0;
}

static int tls_acme_preferred_chains(struct helper *h, struct json *iss, const char *key)
{
  (void)key;
  return tls_preferred_chains(h, iss);
}

/* disable_http_challenge / disable_tlsalpn_challenge: challenges.KEY.disabled */
static int tls_acme_disable(struct helper *h, struct json *iss, const char *key)
{
  struct arena *a = h->ad->arena;
  struct json *ch = jget_or_new(a, iss, "challenges", JSON_OBJECT);
  /* at the subdirective's token, for the lowering's refusals */
  jset(a, jget_or_new(a, ch, key, JSON_OBJECT), "disabled", json_bool(a, true, disp_pos(&h->d)));
  return 0;
}

static const struct tls_acme_row tls_acme_rows[] = {
  {"lifetime", tls_acme_duration, "certificate_lifetime"},
  {"dir", tls_acme_string, "ca"},
  {"test_dir", tls_acme_string, "test_ca"},
  {"email", tls_acme_string, "email"},
  {"profile", tls_acme_string, "profile"},
  {"timeout", tls_acme_duration, "acme_timeout"},
  {"distributed", tls_acme_distributed, "distributed"},
  {"alt_http_port", tls_acme_alt_port, "http"},
  {"alt_tlsalpn_port", tls_acme_alt_port, "tls-alpn"},
  {"eab", tls_acme_eab, "external_account"},
  {"preferred_chains", tls_acme_preferred_chains, NULL},
  {"trusted_roots", tls_acme_strings, "trusted_roots_pem_files"},
  {"disable_http_challenge", tls_acme_disable, "http"},
  {"disable_tlsalpn_challenge", tls_acme_disable, "tls-alpn"},
};

static int tls_acme_option(struct helper *h, struct json *iss, const char *sub)
{
  int r = tls_dns_option(h, iss, sub, NULL);
  if (r != 1)
    return r;
  const struct tls_acme_row *row = TABLE_FIND(tls_acme_rows, sub);
  if (!row)
    return disp_errf(&h->d, "unrecognized ACME issuer property: %s", sub);
  return row->parse(h, iss, row->key);
}

/* issuer acme|zerossl|internal [args] { ... } */
static struct json *tls_issuer(struct helper *h)
{
  struct arena *a = h->ad->arena;
  const char *name = disp_val(&h->d);
  struct json *iss = tls_module(h, "module", name);
  int r = 0;
  if (!strcmp(name, "acme")) {
    if (disp_next_arg(&h->d))
      jset(a, iss, "ca", jstr(a, disp_val(&h->d), disp_pos(&h->d)));
    if (disp_next_arg(&h->d))
      r = disp_arg_err(&h->d);
    for (int nest = h->d.nesting; r == 0 && disp_next_block(&h->d, nest);)
      r = tls_acme_option(h, iss, disp_val(&h->d));
  } else if (!strcmp(name, "zerossl")) {
    /* zerossl API_KEY { validity_days, alt_http_port, dns ..., propagation_*, resolvers, dns_ttl } */
    if (!disp_next_arg(&h->d))
      r = disp_arg_err(&h->d);
    else {
      jset(a, iss, "api_key", jstr(a, disp_val(&h->d), disp_pos(&h->d)));
      if (disp_next_arg(&h->d))
        r = disp_arg_err(&h->d);
    }
    static const char *const dns_subs[] = {"dns", "propagation_delay", "propagation_timeout", "resolvers", "dns_ttl"};
    for (int nest = h->d.nesting; r == 0 && disp_next_block(&h->d, nest);) {
      const char *sub = disp_val(&h->d);
      bool dns = false;
      for (size_t i = 0; i < sizeof dns_subs / sizeof dns_subs[0]; i++)
        dns |= !strcmp(sub, dns_subs[i]);
      if (dns)
        r = tls_dns_option(h, iss, sub, NULL);
      else if (!strcmp(sub, "alt_http_port"))
        r = tls_acme_alt_port(h, iss, "http");
      else if (!strcmp(sub, "validity_days"))   /* Caddy parses the subdirective's own name as the number */
        r = disp_errf(&h->d, "invalid number of days %s: strconv.Atoi: parsing \"%s\": invalid syntax", sub, sub);
      else
        r = disp_errf(&h->d, "unrecognized zerossl issuer property: %s", sub);
    }
  } else if (!strcmp(name, "internal")) {
    for (int nest = h->d.nesting; r == 0 && disp_next_block(&h->d, nest);) {
      const char *sub = disp_val(&h->d);
      if (!strcmp(sub, "ca") && disp_next_arg(&h->d))
        jset(a, iss, "ca", jstr(a, disp_val(&h->d), disp_pos(&h->d)));
      else if (!strcmp(sub, "lifetime"))
        r = tls_duration_into(h, iss, "lifetime");
      else if (!strcmp(sub, "sign_with_root"))
        jset(a, iss, "sign_with_root", jbool(a, true));
      else
        r = disp_errf(&h->d, "unrecognized subdirective '%s'", sub);
    }
  } else
    r = disp_errf(&h->d, "getting module named 'tls.issuance.%s': module not registered: tls.issuance.%s", name, name);
  return r < 0 ? NULL : iss;
}

struct tls_state {
  struct json *cp, *acme, *internal, *issuers, *managers, *loaders;
  const char *key_type;
  struct srcpos key_type_pos, on_demand_pos, reuse_keys_pos;   /* where lowering refuses them */
  bool on_demand, reuse_keys, force_automate, has_block;
  struct json *renewal_ratio;
  struct name_list dns_opts;
};

/* protocols MIN [MAX] */
static int tls_opt_protocols(struct helper *h, struct tls_state *st, const char *sub)
{
  (void)sub;
  struct arena *a = h->ad->arena;
  int n;
  const char **args = disp_remaining_args(&h->d, &n);
  if (!n)
    return disp_errf(&h->d, "protocols requires one or two arguments");
  jset(a, st->cp, "protocol_min", jstr(a, args[0], disp_pos(&h->d)));
  if (n > 1)
    jset(a, st->cp, "protocol_max", jstr(a, args[1], disp_pos(&h->d)));
  return 0;
}

/* ciphers / curves / alpn: a list on the connection policy (ciphers as cipher_suites) */
static int tls_opt_cp_list(struct helper *h, struct tls_state *st, const char *sub)
{
  int n;
  const char **args = disp_remaining_args(&h->d, &n);
  if (!n && !strcmp(sub, "alpn"))
    return disp_arg_err(&h->d);
  const char *key = !strcmp(sub, "ciphers") ? "cipher_suites" : sub;
  jset(h->ad->arena, st->cp, key, jstrarr(h->ad->arena, args, n, disp_pos(&h->d)));
  return 0;
}

static int tls_opt_secrets_log(struct helper *h, struct tls_state *st, const char *sub)
{
  if (!disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  jset(h->ad->arena, st->cp, sub, jstr(h->ad->arena, disp_val(&h->d), disp_pos(&h->d)));
  return 0;
}

int tls_client_auth(struct helper *h, struct json *cp);

static int tls_opt_client_auth(struct helper *h, struct tls_state *st, const char *sub)
{
  (void)sub;
  struct helper sub_h = *h;
  sub_h.d = disp_next_segment(&h->d);
  return tls_client_auth(&sub_h, st->cp);
}

/* load FOLDER... */
static int tls_opt_load(struct helper *h, struct tls_state *st, const char *sub)
{
  (void)sub;
  struct arena *a = h->ad->arena;
  int n;
  const char **args = disp_remaining_args(&h->d, &n);
  struct json *l = jobj(a);
  jset(a, l, "@folders", jstrarr(a, args, n, disp_pos(&h->d)));
  jpush(a, st->loaders, l);
  return 0;
}

/* ca URL / key_type TYPE: exactly one argument */
static int tls_opt_ca_or_key_type(struct helper *h, struct tls_state *st, const char *sub)
{
  struct arena *a = h->ad->arena;
  int n;
  const char **args = disp_remaining_args(&h->d, &n);
  if (n != 1)
    return disp_arg_err(&h->d);
  if (!strcmp(sub, "key_type")) {
    st->key_type = args[0];
    st->key_type_pos = disp_pos(&h->d);
  } else {
    st->acme = st->acme ? st->acme : jobj(a);
    jset(a, st->acme, "ca", jstr(a, args[0], disp_pos(&h->d)));
  }
  return 0;
}

/* issuer NAME [args] { ... } */
static int tls_opt_issuer(struct helper *h, struct tls_state *st, const char *sub)
{
  (void)sub;
  if (!disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  struct json *iss = tls_issuer(h);
  if (!iss)
    return -1;
  jpush(h->ad->arena, st->issuers, iss);
  return 0;
}

/* get_certificate VIA [URL] */
static int tls_opt_get_certificate(struct helper *h, struct tls_state *st, const char *sub)
{
  (void)sub;
  if (!disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  struct json *m = tls_module(h, "via", disp_val(&h->d));
  if (disp_next_arg(&h->d))
    jset(h->ad->arena, m, "url", jstr(h->ad->arena, disp_val(&h->d), disp_pos(&h->d)));
  jpush(h->ad->arena, st->managers, m);
  return 0;
}

/* on_demand / reuse_private_keys: no arguments */
static int tls_opt_flag(struct helper *h, struct tls_state *st, const char *sub)
{
  struct srcpos pos = disp_pos(&h->d);
  if (disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  bool on_demand = !strcmp(sub, "on_demand");
  *(on_demand ? &st->on_demand : &st->reuse_keys) = true;
  *(on_demand ? &st->on_demand_pos : &st->reuse_keys_pos) = pos;
  return 0;
}

static int tls_opt_renewal_window_ratio(struct helper *h, struct tls_state *st, const char *sub)
{
  (void)sub;
  if (!disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  double v = strtod(disp_val(&h->d), NULL);
  if (v <= 0 || v >= 1)
    return disp_errf(&h->d, "renewal_window_ratio must be between 0 and 1 (exclusive)");
  st->renewal_ratio = go_scalar(h->ad->arena, disp_token(&h->d));
  return 0;
}

/* the DNS challenge rows, on the implicit ACME issuer */
static int tls_opt_dns(struct helper *h, struct tls_state *st, const char *sub)
{
  if (!st->acme)
    st->acme = jobj(h->ad->arena);
  return tls_dns_option(h, st->acme, sub, &st->dns_opts);
}

static const struct tls_block_row {
  const char *name;
  int (*parse)(struct helper *h, struct tls_state *st, const char *sub);
} tls_block_rows[] = {
  {"protocols", tls_opt_protocols}, {"ciphers", tls_opt_cp_list}, {"curves", tls_opt_cp_list},
  {"alpn", tls_opt_cp_list}, {"insecure_secrets_log", tls_opt_secrets_log},
  {"client_auth", tls_opt_client_auth}, {"load", tls_opt_load},
  {"ca", tls_opt_ca_or_key_type}, {"key_type", tls_opt_ca_or_key_type},
  {"issuer", tls_opt_issuer}, {"get_certificate", tls_opt_get_certificate},
  {"on_demand", tls_opt_flag}, {"reuse_private_keys", tls_opt_flag},
  {"renewal_window_ratio", tls_opt_renewal_window_ratio},
  {"dns", tls_opt_dns}, {"propagation_delay", tls_opt_dns}, {"propagation_timeout", tls_opt_dns},
  {"dns_ttl", tls_opt_dns}, {"resolvers", tls_opt_dns}, {"dns_challenge_override_domain", tls_opt_dns},
};

static int tls_block_option(struct helper *h, struct tls_state *st, const char *sub)
{
  const struct tls_block_row *row = TABLE_FIND(tls_block_rows, sub);
  if (!row)
    return disp_errf(&h->d, "unknown subdirective: %s", sub);
  return row->parse(h, st, sub);
}

static int tls_first_line(struct helper *h, struct tls_state *st, const char **args, int n)
{
  struct arena *a = h->ad->arena;
  if (n == 1) {
    if (!strcmp(args[0], "internal"))
      st->internal = tls_module(h, "module", "internal");
    else if (!strcmp(args[0], "force_automate"))
      st->force_automate = true;
    else if (!strchr(args[0], '@'))
      return disp_errf(&h->d, "single argument must either be 'internal', 'force_automate', or an email address");
    else {
      st->acme = jobj(a);
      jset(a, st->acme, "email", jstr(a, args[0], disp_pos(&h->d)));
    }
  } else if (n == 2) {
    struct json *tags = jget_or_new(a, h->ad->options, "@cert_tags", JSON_OBJECT);
    struct json *tag = json_object_get(tags, args[0]);
    if (!tag) {
      tag = jstr(a, arena_printf(a, "cert%zu", tags->count), disp_pos(&h->d));
      jset(a, tags, args[0], tag);
      struct json *pair = jobj(a);
      jset(a, pair, "certificate", jstr(a, args[0], disp_pos(&h->d)));
      jset(a, pair, "key", jstr(a, args[1], disp_pos(&h->d)));
      jset(a, pair, "tags", jarr(a));
      jpush(a, json_object_get(pair, "tags"), tag);
      jpush(a, st->loaders, pair);
    }
    struct json *sel = jget_or_new(a, st->cp, "certificate_selection", JSON_OBJECT);
    jpush(a, jget_or_new(a, sel, "any_tag", JSON_ARRAY), tag);
  } else if (n > 2)
    return disp_arg_err(&h->d);
  return 0;
}

/* The implicit ACME issuer: the default issuers (ZeroSSL's ACME needs an email) unless a CA is set. */
static void tls_push_acme_issuers(struct helper *h, struct config_values *out, struct json *acme)
{
  struct arena *a = h->ad->arena;
  const char *email = json_str(json_object_get(acme, "email"));
  struct json *first = json_clone(a, acme);
  jset(a, first, "module", jstr(a, "acme", (struct srcpos){0}));
  values_push(h, out, "tls.cert_issuer", first);
  if (json_object_get(acme, "ca") || !email || !*email)
    return;
  struct json *zero = json_clone(a, first);
  jset(a, zero, "ca", jstr(a, ZEROSSL_ACME_CA, (struct srcpos){0}));
  values_push(h, out, "tls.cert_issuer", zero);
}

/* true, at the subdirective that set it */
static struct json *tls_bool_at(struct arena *a, struct srcpos pos)
{
  struct json *v = jbool(a, true);
  v->pos = pos;
  return v;
}

static int tls_values(struct helper *h, struct tls_state *st, struct config_values *out)
{
  struct arena *a = h->ad->arena;
  if (st->dns_opts.count && !json_object_get(json_object_get(json_object_get(st->acme, "challenges"), "dns"), "provider") &&
      !json_object_get(h->ad->options, "acme_dns")) {
    struct strbuf sb;
    strbuf_init(&sb, a);
    for (size_t i = 0; i < st->dns_opts.count; i++)
      strbuf_printf(&sb, "%s%s", i ? ", " : "", st->dns_opts.items[i]);
    return disp_errf(&h->d, "setting DNS challenge options [%s] requires a DNS provider (set with the 'dns' subdirective "
                     "or 'acme_dns' global option)", strbuf_cstr(&sb));
  }
  for (size_t i = 0; i < st->loaders->count; i++)
    values_push(h, out, "tls.cert_loader", st->loaders->items[i]);
  if (st->issuers->count && (st->acme || st->internal))
    return disp_errf(&h->d, "cannot mix issuer subdirective (explicit issuers) with other issuer-specific subdirectives (implicit issuers)");
  if (st->acme && st->internal)
    return disp_errf(&h->d, "cannot create both ACME and internal certificate issuers");
  for (size_t i = 0; i < st->issuers->count; i++)
    values_push(h, out, "tls.cert_issuer", st->issuers->items[i]);
  if (st->acme)
    tls_push_acme_issuers(h, out, st->acme);
  if (st->internal)
    values_push(h, out, "tls.cert_issuer", st->internal);
  if (st->key_type)
    values_push(h, out, "tls.key_type", jstr(a, st->key_type, st->key_type_pos));
  if (st->on_demand)
    values_push(h, out, "tls.on_demand", tls_bool_at(a, st->on_demand_pos));
  for (size_t i = 0; i < st->managers->count; i++)
    values_push(h, out, "tls.cert_manager", st->managers->items[i]);
  if (st->reuse_keys)
    values_push(h, out, "tls.reuse_private_keys", tls_bool_at(a, st->reuse_keys_pos));
  if (st->force_automate)
    values_push(h, out, "tls.force_automate", jbool(a, true));
  if (st->renewal_ratio)
    values_push(h, out, "tls.renewal_window_ratio", st->renewal_ratio);
  values_push(h, out, "tls.connection_policy", st->cp);
  return 0;
}

int adapt_tls(struct helper *h, struct config_values *out)
{
  struct arena *a = h->ad->arena;
  struct tls_state st = {.cp = jobj(a), .issuers = jarr(a), .managers = jarr(a), .loaders = jarr(a)};
  disp_next(&h->d);
  int n;
  const char **args = disp_remaining_args(&h->d, &n);
  if (tls_first_line(h, &st, args, n) < 0)
    return -1;
  while (disp_next_block(&h->d, 0)) {
    st.has_block = true;
    if (tls_block_option(h, &st, disp_val(&h->d)) < 0)
      return -1;
  }
  if (n == 0 && !st.has_block)
    return disp_arg_err(&h->d);
  return tls_values(h, &st, out);
}

/* ---- global options that feed the tls app ---- */

/* cert_issuer NAME [args] { ... }: appended to the default issuers */
int option_cert_issuer(struct helper *h, const char *name)
{
  if (!disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  struct json *iss = tls_issuer(h);
  if (!iss)
    return -1;
  jpush(h->ad->arena, jget_or_new(h->ad->arena, h->ad->options, name, JSON_ARRAY), iss);
  return 0;
}

/* dns PROVIDER ... (required) / acme_dns [PROVIDER ...] (null without one) */
int option_dns_provider(struct helper *h, const char *name)
{
  struct arena *a = h->ad->arena;
  if (!disp_next_arg(&h->d)) {
    if (!strcmp(name, "dns"))
      return disp_arg_err(&h->d);
    jset(a, h->ad->options, name, json_new(a, JSON_NULL, disp_pos(&h->d)));   /* where a missing provider is reported */
    return 0;
  }
  jset(a, h->ad->options, name, tls_dns_provider(h));
  return 0;
}

/* tls_resolvers ADDRESS... */
int option_tls_resolvers(struct helper *h, const char *name)
{
  int n;
  const char **args = disp_remaining_args(&h->d, &n);
  if (!n)
    return disp_arg_err(&h->d);
  jset(h->ad->arena, h->ad->options, name, jstrarr(h->ad->arena, args, n, disp_pos(&h->d)));
  return 0;
}

int option_preferred_chains(struct helper *h, const char *name)
{
  (void)name;
  return tls_preferred_chains(h, h->ad->options);
}

int option_renewal_window_ratio(struct helper *h, const char *name)
{
  if (!disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  jset(h->ad->arena, h->ad->options, name, go_scalar(h->ad->arena, disp_token(&h->d)));
  return 0;
}

/* acme_eab { key_id ID  mac_key KEY } */
int option_acme_eab(struct helper *h, const char *name)
{
  const char *key_id = NULL, *mac_key = NULL;
  struct srcpos pos = disp_pos(&h->d);
  if (disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  for (int nest = h->d.nesting; disp_next_block(&h->d, nest);) {
    const char *sub = disp_val(&h->d);
    if (strcmp(sub, "key_id") && strcmp(sub, "mac_key"))
      return disp_errf(&h->d, "unrecognized parameter '%s'", sub);
    if (!disp_next_arg(&h->d))
      return disp_arg_err(&h->d);
    *(!strcmp(sub, "key_id") ? &key_id : &mac_key) = disp_val(&h->d);
  }
  jset(h->ad->arena, h->ad->options, name, tls_eab(h->ad->arena, key_id, mac_key, pos));
  return 0;
}

/* on_demand_tls { ask URL | permission MODULE ... }: automation.on_demand */
int option_on_demand_tls(struct helper *h, const char *name)
{
  struct arena *a = h->ad->arena;
  struct json *ond = NULL;
  if (disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  for (int nest = h->d.nesting; disp_next_block(&h->d, nest);) {
    const char *sub = disp_val(&h->d);
    if (!strcmp(sub, "ask") || !strcmp(sub, "permission")) {
      if (!disp_next_arg(&h->d))
        return disp_arg_err(&h->d);
      if (ond && json_object_get(ond, "permission"))
        return disp_errf(&h->d, "on-demand TLS permission module (or 'ask') already specified");
      if (!ond)
        ond = jobj(a);
      struct json *perm;
      if (!strcmp(sub, "ask")) {
        perm = jobj(a);
        jset(a, perm, "endpoint", jstr(a, disp_val(&h->d), disp_pos(&h->d)));
        jset(a, perm, "module", jstr(a, "http", (struct srcpos){0}));
      } else if (!strcmp(disp_val(&h->d), "http")) {
        perm = jobj(a);
        for (int pn = h->d.nesting; disp_next_block(&h->d, pn);) {
          if (strcmp(disp_val(&h->d), "endpoint"))
            return disp_errf(&h->d, "unrecognized subdirective '%s'", disp_val(&h->d));
          if (!disp_next_arg(&h->d))
            return disp_arg_err(&h->d);
          jset(a, perm, "endpoint", jstr(a, disp_val(&h->d), disp_pos(&h->d)));
        }
        jset(a, perm, "module", jstr(a, "http", (struct srcpos){0}));
      } else
        return disp_errf(&h->d, "getting module named 'tls.permission.%s': module not registered: tls.permission.%s",
                         disp_val(&h->d), disp_val(&h->d));
      jset(a, ond, "permission", perm);
    } else if (!strcmp(sub, "interval") || !strcmp(sub, "burst"))
      return disp_errf(&h->d, "the on_demand_tls '%s' option is no longer supported, remove it from your config", sub);
    else
      return disp_errf(&h->d, "unrecognized parameter '%s'", sub);
  }
  if (!ond)
    return disp_errf(&h->d, "expected at least one config parameter for on_demand_tls");
  jset(a, h->ad->options, name, ond);
  return 0;
}

/* ocsp_stapling off (the only value Caddy takes) */
int option_ocsp_stapling(struct helper *h, const char *name)
{
  if (!disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  const char *v = disp_val(&h->d);
  if (disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  if (strcmp(v, "off"))
    return disp_errf(&h->d, "invalid argument '%s'", v);
  jset(h->ad->arena, h->ad->options, name, json_bool(h->ad->arena, true, disp_pos(&h->d)));
  return 0;
}

/* storage_check off */
int option_storage_check(struct helper *h, const char *name)
{
  if (!disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  if (strcmp(disp_val(&h->d), "off"))
    return disp_errf(&h->d, "storage_check must be 'off'");
  jset(h->ad->arena, h->ad->options, name, jstr(h->ad->arena, "off", disp_pos(&h->d)));
  return disp_next_arg(&h->d) ? disp_arg_err(&h->d) : 0;
}

/* storage_clean_interval DURATION|off (off: false) */
int option_storage_clean_interval(struct helper *h, const char *name)
{
  if (!disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  const char *v = disp_val(&h->d);
  struct srcpos pos = disp_pos(&h->d);
  if (disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  long long ns;
  if (!strcmp(v, "off"))
    jset(h->ad->arena, h->ad->options, name, json_bool(h->ad->arena, false, pos));
  else if (go_parse_duration(v, &ns) < 0)
    return disp_errf(&h->d, "failed to parse storage_clean_interval, must be a duration or 'off' time: invalid duration \"%s\"", v);
  else
    jset(h->ad->arena, h->ad->options, name, jint(h->ad->arena, ns, pos));
  return 0;
}

/* TLS global options zsc does not adapt yet */
int option_tls_unsupported(struct helper *h, const char *name)
{
  return disp_errf(&h->d, "global option '%s' is not supported by zsc yet", name);
}

/* storage file_system [ROOT] { root ROOT }: certmagic's FileStorage, the only
 * storage module zsc knows */
int option_storage(struct helper *h, const char *name)
{
  struct arena *a = h->ad->arena;
  if (!disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  const char *module = disp_val(&h->d), *root = NULL;
  if (strcmp(module, "file_system") != 0)
    return disp_errf(&h->d, "getting module named 'caddy.storage.%s': module not registered", module);
  struct srcpos pos = disp_pos(&h->d);
  if (disp_next_arg(&h->d))
    root = disp_val(&h->d), pos = disp_pos(&h->d);
  if (disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  for (int nest = h->d.nesting; disp_next_block(&h->d, nest);) {
    if (strcmp(disp_val(&h->d), "root") != 0)
      return disp_errf(&h->d, "unrecognized parameter '%s'", disp_val(&h->d));
    if (root)
      return disp_errf(&h->d, "root already set");
    if (!disp_next_arg(&h->d))
      return disp_arg_err(&h->d);
    root = disp_val(&h->d), pos = disp_pos(&h->d);
    if (disp_next_arg(&h->d))
      return disp_arg_err(&h->d);
  }
  if (!root)
    return disp_errf(&h->d, "missing root path (to use default, omit storage config entirely)");
  struct json *storage = jobj(a);
  jset(a, storage, "module", jstr(a, "file_system", pos));
  jset(a, storage, "root", jstr(a, root, pos));
  jset(a, h->ad->options, name, storage);
  return 0;
}
