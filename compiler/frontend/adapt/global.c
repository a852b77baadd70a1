/* The global options block (Caddy's options.go): each option parsed into
 * ad->options in the typed form the rest of the adapter reads. `order`
 * edits this adaptation's directive order. */
#include <string.h>

#include "adapt.h"

const char *option_str(struct adapt *ad, const char *name)
{
  return json_str(json_object_get(ad->options, name));
}

long long option_int(struct adapt *ad, const char *name, long long fallback)
{
  return json_int(json_object_get(ad->options, name), fallback);
}

typedef int (*option_fn)(struct helper *h, const char *name);

static int option_int_value(struct helper *h, const char *name)
{
  if (!disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  long long n;
  if (!go_atoi(disp_val(&h->d), &n))
    return disp_errf(&h->d, "strconv.Atoi: parsing \"%s\": invalid syntax", disp_val(&h->d));
  jset(h->ad->arena, h->ad->options, name, jint(h->ad->arena, n, disp_pos(&h->d)));
  return 0;
}

static int option_string_value(struct helper *h, const char *name)
{
  if (!disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  jset(h->ad->arena, h->ad->options, name, jstr(h->ad->arena, disp_val(&h->d), disp_pos(&h->d)));
  if (disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  return 0;
}

static int option_duration_value(struct helper *h, const char *name)
{
  if (!disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  struct json *v = go_duration_json(&h->d, disp_val(&h->d));
  if (!v)
    return -1;
  jset(h->ad->arena, h->ad->options, name, v);
  return 0;
}

static int option_flag(struct helper *h, const char *name)
{
  jset(h->ad->arena, h->ad->options, name, jbool(h->ad->arena, true));
  return 0;
}

static void option_order_remove(struct adapt *ad, const char *dir)
{
  for (size_t i = 0; i < ad->norder; i++)
    if (!strcmp(ad->order[i], dir)) {
      memmove(&ad->order[i], &ad->order[i + 1], sizeof ad->order[0] * (ad->norder - i - 1));
      ad->norder--;
      return;
    }
}

static void option_order_insert(struct adapt *ad, size_t at, const char *dir)
{
  ARENA_PUSH(ad->arena, ad->order, ad->norder, ad->ordercap);
  memmove(&ad->order[at + 1], &ad->order[at], sizeof ad->order[0] * (ad->norder - at - 1));
  ad->order[at] = dir;
}

/* order NAME first|last|before X|after X */
static int option_order(struct helper *h, const char *name)
{
  (void)name;
  const char *dir, *pos;
  if (!disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  dir = disp_val(&h->d);
  if (!directive_known(h->ad, dir))
    return disp_errf(&h->d, "%s is not a registered directive", dir);
  if (!disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  pos = disp_val(&h->d);
  option_order_remove(h->ad, dir);
  if (!strcmp(pos, "first") || !strcmp(pos, "last")) {
    option_order_insert(h->ad, pos[0] == 'f' ? 0 : h->ad->norder, dir);
    return disp_next_arg(&h->d) ? disp_arg_err(&h->d) : 0;
  }
  if (strcmp(pos, "before") && strcmp(pos, "after"))
    return disp_errf(&h->d, "unknown positional '%s'", pos);
  if (!disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  const char *other = disp_val(&h->d);
  for (size_t i = 0; i < h->ad->norder; i++)
    if (!strcmp(h->ad->order[i], other)) {
      option_order_insert(h->ad, pos[0] == 'b' ? i : i + 1, dir);
      return 0;
    }
  return disp_errf(&h->d, "directive '%s' not found", other);
}

static int option_auto_https(struct helper *h, const char *name)
{
  int n;
  const char **args = disp_remaining_args(&h->d, &n);
  if (n == 0)
    return disp_arg_err(&h->d);
  static const char *const ok[] = {"off", "disable_redirects", "disable_certs", "ignore_loaded_certs", "prefer_wildcard"};
  struct json *list = json_object_get(h->ad->options, name);
  if (!list) {
    list = jarr(h->ad->arena);
    jset(h->ad->arena, h->ad->options, name, list);
  }
  for (int i = 0; i < n; i++) {
    bool valid = false;
    for (int k = 0; k < 5; k++)
      valid = valid || !strcmp(args[i], ok[k]);
    if (!valid)
      return disp_errf(&h->d, "auto_https must be one of 'off', 'disable_redirects', 'disable_certs', "
                       "'ignore_loaded_certs', or 'prefer_wildcard'");
    jpush(h->ad->arena, list, jstr(h->ad->arena, args[i], disp_pos(&h->d)));
  }
  return 0;
}

static int option_persist_config(struct helper *h, const char *name)
{
  if (!disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  if (strcmp(disp_val(&h->d), "off"))
    return disp_errf(&h->d, "persist_config must be 'off'");
  jset(h->ad->arena, h->ad->options, name, jbool(h->ad->arena, false));
  return 0;
}

static int option_default_bind(struct helper *h, const char *name)
{
  int n;
  const char **args = disp_remaining_args(&h->d, &n);
  if (n == 0)
    return disp_arg_err(&h->d);
  struct json *list = jget_or_new(h->ad->arena, h->ad->options, name, JSON_ARRAY), *b = jobj(h->ad->arena);
  jset(h->ad->arena, b, "addresses", jstrarr(h->ad->arena, args, n, disp_pos(&h->d)));
  while (disp_next_block(&h->d, 0)) {
    if (strcmp(disp_val(&h->d), "protocols"))
      return disp_errf(&h->d, "unknown subdirective: %s", disp_val(&h->d));
    const char **p = disp_remaining_args(&h->d, &n);
    jset(h->ad->arena, b, "protocols", jstrarr(h->ad->arena, p, n, disp_pos(&h->d)));
  }
  jpush(h->ad->arena, list, b);
  return 0;
}

int option_servers(struct helper *h, const char *name);
int option_log(struct helper *h, const char *name);
int option_admin(struct helper *h, const char *name);
int option_cert_issuer(struct helper *h, const char *name);
int option_dns_provider(struct helper *h, const char *name);
int option_tls_resolvers(struct helper *h, const char *name);
int option_preferred_chains(struct helper *h, const char *name);
int option_renewal_window_ratio(struct helper *h, const char *name);
int option_tls_unsupported(struct helper *h, const char *name);
int option_acme_eab(struct helper *h, const char *name);
int option_on_demand_tls(struct helper *h, const char *name);
int option_ocsp_stapling(struct helper *h, const char *name);
int option_storage_check(struct helper *h, const char *name);
int option_storage_clean_interval(struct helper *h, const char *name);
int option_storage(struct helper *h, const char *name);
int option_metrics(struct helper *h, const char *name);
int option_pki(struct helper *h, const char *name);

static const struct global_option { const char *name; option_fn fn; } global_options[] = {
  {"debug", option_flag}, {"http_port", option_int_value}, {"https_port", option_int_value},
  {"default_bind", option_default_bind}, {"grace_period", option_duration_value},
  {"shutdown_delay", option_duration_value}, {"order", option_order}, {"storage", option_storage},
  {"storage_check", option_storage_check}, {"storage_clean_interval", option_storage_clean_interval},
  {"renew_interval", option_duration_value}, {"ocsp_interval", option_duration_value},
  {"acme_ca", option_string_value}, {"acme_ca_root", option_string_value}, {"acme_dns", option_dns_provider},
  {"acme_eab", option_acme_eab}, {"cert_issuer", option_cert_issuer}, {"skip_install_trust", option_flag},
  {"email", option_string_value}, {"admin", option_admin}, {"on_demand_tls", option_on_demand_tls},
  {"local_certs", option_flag}, {"key_type", option_string_value}, {"auto_https", option_auto_https},
  {"metrics", option_metrics}, {"servers", option_servers}, {"ocsp_stapling", option_ocsp_stapling},
  {"cert_lifetime", option_duration_value}, {"log", option_log}, {"preferred_chains", option_preferred_chains},
  {"persist_config", option_persist_config}, {"pki", option_pki}, {"events", option_tls_unsupported},
  {"default_sni", option_string_value}, {"fallback_sni", option_string_value}, {"dns", option_dns_provider},
  {"ech", option_tls_unsupported}, {"filesystem", option_tls_unsupported}, {"renewal_window_ratio", option_renewal_window_ratio},
  {"tls_resolvers", option_tls_resolvers},
};

int global_evaluate(struct adapt *ad, struct server_block *block)
{
  struct matcher_defs defs = {0};
  struct helper h = {.ad = ad, .defs = &defs, .block = block, .groups = &ad->group_counter};
  for (size_t s = 0; s < block->nsegs; s++) {
    struct segment *seg = &block->segments[s];
    const char *name = seg->tokens[0].text;
    const struct global_option *opt = TABLE_FIND(global_options, name);
    struct srcpos pos = {seg->tokens[0].file, seg->tokens[0].line, seg->tokens[0].col};
    if (!opt)
      return fe_fail(ad->err, pos, "unrecognized global option: %s", name);
    disp_init(&h.d, ad->arena, ad->err, seg->tokens, (long)seg->count);
    disp_next(&h.d);
    if (opt->fn(&h, name) < 0)
      return fe_wrap(ad->err, "parsing caddyfile tokens for '%s': ", name);
  }
  return 0;
}

/* admin off | admin [listen] { origins ...; enforce_origin } (parseOptAdmin) */
int option_admin(struct helper *h, const char *name)
{
  struct arena *a = h->ad->arena;
  struct json *admin = jobj(a);
  if (disp_next_arg(&h->d)) {
    if (!strcmp(disp_val(&h->d), "off")) {
      jset(a, admin, "disabled", jbool(a, true));
      if (disp_next(&h->d))
        return disp_errf(&h->d, "No more option is allowed after turning off admin config");
    } else {
      jset(a, admin, "listen", jstr(a, disp_val(&h->d), disp_pos(&h->d)));
      if (disp_next_arg(&h->d))
        return disp_arg_err(&h->d);
    }
  }
  while (disp_next_block(&h->d, 0)) {
    const char *sub = disp_val(&h->d);
    int n;
    if (!strcmp(sub, "origins")) {
      const char **args = disp_remaining_args(&h->d, &n);
      if (n)
        jset(a, admin, "origins", jstrarr(a, args, n, disp_pos(&h->d)));
      else                     /* RemainingArgs gives nil: omitempty */
        json_object_delete(admin, "origins");
    } else if (!strcmp(sub, "enforce_origin"))
      jset(a, admin, "enforce_origin", jbool(a, true));
    else
      return disp_errf(&h->d, "unrecognized parameter '%s'", sub);
  }
  if (!json_object_get(admin, "listen") && !json_object_get(admin, "disabled"))
    jset(a, admin, "listen", jstr(a, "localhost:2019", disp_pos(&h->d)));   /* caddy.DefaultAdminListen */
  static const char *const order[] = {"disabled", "listen", "enforce_origin", "origins", NULL};
  json_reorder(a, admin, order);
  jset(a, h->ad->options, name, admin);
  return 0;
}
