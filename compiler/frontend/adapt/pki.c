/* The pki app: certificate authorities from the `pki` global option and
 * from acme_server directives, with skip_install_trust; and the acme_server
 * handler itself (Caddy's caddypki and acmeserver Caddyfile parsers). */
#include <string.h>

#include "adapt.h"

static const char *const pki_ca_order[] = {"name", "root_common_name", "intermediate_common_name",
                                           "intermediate_lifetime", "install_trust", "root", "intermediate",
                                           "storage", "maintenance_interval", "renewal_window_ratio", NULL};

static int pki_arg(struct helper *h, struct json *obj, const char *key)
{
  if (!disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  jset(h->ad->arena, obj, key, jstr(h->ad->arena, disp_val(&h->d), disp_pos(&h->d)));
  return 0;
}

static int pki_key_pair(struct helper *h, struct json *ca, const char *which)
{
  static const char *const map[][2] = {{"cert", "certificate"}, {"key", "private_key"}, {"format", "format"}};
  struct json *kp = jobj(h->ad->arena);
  if (disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  for (int nest = h->d.nesting; disp_next_block(&h->d, nest);) {
    int k;
    for (k = 0; k < 3 && strcmp(disp_val(&h->d), map[k][0]); k++)
      ;
    if (k == 3)
      return disp_errf(&h->d, "unrecognized pki ca %s option '%s'", which, disp_val(&h->d));
    if (pki_arg(h, kp, map[k][1]) < 0)
      return -1;
  }
  static const char *const order[] = {"certificate", "private_key", "format", NULL};
  json_reorder(h->ad->arena, kp, order);
  jset(h->ad->arena, ca, which, kp);
  return 0;
}

static int pki_ca_option(struct helper *h, struct json *ca, const char *sub)
{
  static const char *const strings[][2] = {{"name", "name"}, {"root_cn", "root_common_name"},
                                           {"intermediate_cn", "intermediate_common_name"}};
  for (int k = 0; k < 3; k++)
    if (!strcmp(sub, strings[k][0]))
      return pki_arg(h, ca, strings[k][1]);
  if (!strcmp(sub, "intermediate_lifetime") || !strcmp(sub, "maintenance_interval")) {
    if (!disp_next_arg(&h->d))
      return disp_arg_err(&h->d);
    struct json *v = go_duration_json(&h->d, disp_val(&h->d));
    if (!v)
      return -1;
    jset(h->ad->arena, ca, sub, v);
    return 0;
  }
  if (!strcmp(sub, "root") || !strcmp(sub, "intermediate"))
    return pki_key_pair(h, ca, sub);
  return disp_errf(&h->d, "unrecognized pki ca option '%s'", sub);
}

/* pki { ca [id] { ... } } */
int option_pki(struct helper *h, const char *name)
{
  struct arena *a = h->ad->arena;
  struct json *cas = jobj(a);
  while (disp_next_block(&h->d, 0)) {
    if (strcmp(disp_val(&h->d), "ca"))
      return disp_errf(&h->d, "unrecognized pki option '%s'", disp_val(&h->d));
    const char *id = "local";
    if (disp_next_arg(&h->d)) {
      id = disp_val(&h->d);
      if (disp_next_arg(&h->d))
        return disp_arg_err(&h->d);
    }
    struct json *ca = jobj(a);
    for (int nest = h->d.nesting; disp_next_block(&h->d, nest);)
      if (pki_ca_option(h, ca, disp_val(&h->d)) < 0)
        return -1;
    jset(a, cas, id, ca);
  }
  jset(a, h->ad->options, name, cas);
  return 0;
}

struct json *pki_app_build(struct adapt *ad, struct site_list *sites)
{
  struct arena *a = ad->arena;
  bool skip_trust = json_object_get(ad->options, "skip_install_trust") != NULL;
  struct json *cas = json_object_get(ad->options, "pki");
  cas = cas ? cas : jobj(a);
  for (size_t s = 0; s < sites->count; s++)
    for (size_t i = 0; i < sites->items[s].pile.count; i++) {
      struct config_value *v = &sites->items[s].pile.items[i];
      if (!strcmp(v->class, "pki.ca") && !json_object_get(cas, json_str(v->value)))
        jset(a, cas, json_str(v->value), jobj(a));
    }
  if (!cas->count && skip_trust)
    jset(a, cas, "local", jobj(a));
  if (!cas->count)
    return NULL;
  for (size_t i = 0; i < cas->count; i++) {
    if (skip_trust)
      jset(a, cas->members[i].value, "install_trust", jbool(a, false));
    json_reorder(a, cas->members[i].value, pki_ca_order);
  }
  json_object_sort(cas);
  struct json *pki = jobj(a);
  jset(a, pki, "certificate_authorities", cas);
  return pki;
}

static int acme_server_rules(struct helper *h, struct json *policy, const char *which)
{
  struct arena *a = h->ad->arena;
  struct json *rules = jobj(a);
  for (int nest = h->d.nesting; disp_next_block(&h->d, nest);) {
    const char *sub = disp_val(&h->d);
    if (strcmp(sub, "domains") && strcmp(sub, "ip_ranges"))
      return disp_errf(&h->d, "unrecognized '%s' subdirective: %s", which, sub);
    int n;
    const char **args = disp_remaining_args(&h->d, &n);
    if (!n)
      return disp_arg_err(&h->d);
    struct json *list = jget_or_new(a, rules, sub, JSON_ARRAY);
    for (int i = 0; i < n; i++)
      jpush(a, list, jstr(a, args[i], disp_pos(&h->d)));
  }
  jset(a, policy, which, rules);
  return 0;
}

/* ca NAME */
static int acme_server_ca(struct helper *h, struct json *r, const char *sub)
{
  const char *ca;
  if (!disp_all_args(&h->d, 1, &ca))
    return disp_arg_err(&h->d);
  jset(h->ad->arena, r, sub, jstr(h->ad->arena, ca, disp_pos(&h->d)));
  return 0;
}

/* lifetime DURATION */
static int acme_server_lifetime(struct helper *h, struct json *r, const char *sub)
{
  if (!disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  struct json *v = go_duration_json(&h->d, disp_val(&h->d));
  if (!v)
    return -1;
  jset(h->ad->arena, r, sub, v);
  return 0;
}

/* resolvers ADDRESS... (replaces, at least one) / challenges TYPE... (adds;
 * none leaves the list out, omitempty) */
static int acme_server_list(struct helper *h, struct json *r, const char *sub)
{
  struct arena *a = h->ad->arena;
  int n;
  const char **args = disp_remaining_args(&h->d, &n);
  bool resolvers = !strcmp(sub, "resolvers");
  if (resolvers && !n)
    return disp_errf(&h->d, "must specify at least one resolver address");
  if (!n)
    return 0;
  struct json *list = resolvers ? jarr(a) : jget_or_new(a, r, sub, JSON_ARRAY);
  for (int i = 0; i < n; i++)
    jpush(a, list, jstr(a, args[i], disp_pos(&h->d)));
  jset(a, r, sub, list);
  return 0;
}

static int acme_server_sign_with_root(struct helper *h, struct json *r, const char *sub)
{
  jset(h->ad->arena, r, sub, jbool(h->ad->arena, true));
  return 0;
}

static int acme_server_wildcards(struct helper *h, struct json *r, const char *sub)
{
  jset(h->ad->arena, jget_or_new(h->ad->arena, r, "policy", JSON_OBJECT), sub, jbool(h->ad->arena, true));
  return 0;
}

/* allow|deny { domains ...; ip_ranges ... } */
static int acme_server_policy(struct helper *h, struct json *r, const char *sub)
{
  return acme_server_rules(h, jget_or_new(h->ad->arena, r, "policy", JSON_OBJECT), sub);
}

static const struct acme_server_row {
  const char *name;
  int (*parse)(struct helper *h, struct json *r, const char *sub);
} acme_server_rows[] = {
  {"ca", acme_server_ca}, {"lifetime", acme_server_lifetime}, {"resolvers", acme_server_list},
  {"challenges", acme_server_list}, {"sign_with_root", acme_server_sign_with_root},
  {"allow_wildcard_names", acme_server_wildcards}, {"allow", acme_server_policy}, {"deny", acme_server_policy},
};

static int acme_server_option(struct helper *h, struct json *r, const char *sub)
{
  const struct acme_server_row *row = TABLE_FIND(acme_server_rows, sub);
  if (!row)
    return disp_errf(&h->d, "unrecognized ACME server directive: %s", sub);
  return row->parse(h, r, sub);
}

/* acme_server [matcher] { ca, lifetime, resolvers, challenges, allow, deny } */
int adapt_acme_server(struct helper *h, struct config_values *out)
{
  struct arena *a = h->ad->arena;
  disp_next(&h->d);
  struct json *set;
  if (matchers_extract_set(h, &set) < 0)
    return -1;
  disp_next(&h->d);
  if (disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  struct json *r = jobj(a);
  jset(a, r, "handler", jstr(a, "acme_server", disp_pos(&h->d)));
  while (disp_next_block(&h->d, 0))
    if (acme_server_option(h, r, disp_val(&h->d)) < 0)
      return -1;
  values_push_route(h, out, route_new(h, set, r));
  if (json_object_get(r, "ca"))
    values_push(h, out, "pki.ca", json_object_get(r, "ca"));
  return 0;
}
