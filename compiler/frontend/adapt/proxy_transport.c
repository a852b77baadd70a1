/* reverse_proxy transports: the http transport's Caddyfile options and the
 * fastcgi transport's, into their JSON (durations in ns, sizes in bytes),
 * one table row per option. */
#include <string.h>

#include "proxy.h"

static int transport_duration(struct helper *h, struct json *obj, const char *key)
{
  if (!disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  struct json *v = go_duration_json(&h->d, disp_val(&h->d));
  if (!v)
    return -1;
  jset(h->ad->arena, obj, key, v);
  return 0;
}

static int transport_size(struct helper *h, struct json *obj, const char *key)
{
  long long n;
  if (!disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  if (go_parse_size(disp_val(&h->d), &n) < 0)
    return disp_errf(&h->d, "invalid size '%s'", disp_val(&h->d));
  jset(h->ad->arena, obj, key, jint(h->ad->arena, n, disp_pos(&h->d)));
  return 0;
}

static int transport_int(struct helper *h, struct json *obj, const char *key)
{
  long long n;
  if (!disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  if (!go_atoi(disp_val(&h->d), &n))
    return disp_errf(&h->d, "parsing %s: strconv.Atoi: parsing \"%s\": invalid syntax", key, disp_val(&h->d));
  jset(h->ad->arena, obj, key, jint(h->ad->arena, n, disp_pos(&h->d)));
  return 0;
}

static int transport_string(struct helper *h, struct json *obj, const char *key)
{
  if (!disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  jset(h->ad->arena, obj, key, jstr(h->ad->arena, disp_val(&h->d), disp_pos(&h->d)));
  return 0;
}

static int transport_strings(struct helper *h, struct json *obj, const char *key)
{
  int n;
  const char **args = disp_remaining_args(&h->d, &n);
  if (!n)
    return disp_arg_err(&h->d);
  jset(h->ad->arena, obj, key, jstrarr(h->ad->arena, args, n, disp_pos(&h->d)));
  return 0;
}

static int transport_flag(struct helper *h, struct json *obj, const char *key)
{
  jset(h->ad->arena, obj, key, jbool(h->ad->arena, true));
  return 0;
}

/* keepalive off | keepalive DURATION */
static int transport_keepalive(struct helper *h, struct json *ka, const char *key)
{
  if (!disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  if (!strcmp(disp_val(&h->d), "off")) {
    jset(h->ad->arena, ka, "enabled", jbool(h->ad->arena, false));
    return 0;
  }
  disp_prev(&h->d);
  return transport_duration(h, ka, key);
}

/* compression off */
static int transport_compression(struct helper *h, struct json *t, const char *key)
{
  if (disp_next_arg(&h->d) && !strcmp(disp_val(&h->d), "off"))
    jset(h->ad->arena, t, key, jbool(h->ad->arena, false));
  return 0;
}

/* forward_proxy_url URL */
static int transport_forward_proxy_url(struct helper *h, struct json *t, const char *key)
{
  (void)key;
  struct json *np = jobj(h->ad->arena);
  jset(h->ad->arena, np, "from", jstr(h->ad->arena, "url", disp_pos(&h->d)));
  if (transport_string(h, np, "url") < 0)
    return -1;
  jset(h->ad->arena, t, "network_proxy", np);
  return 0;
}

/* network_proxy FROM [URL] */
static int transport_network_proxy(struct helper *h, struct json *t, const char *key)
{
  struct arena *a = h->ad->arena;
  struct json *np = jobj(a);
  if (!disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  const char *from = disp_val(&h->d);
  if (strcmp(from, "none") && strcmp(from, "url"))   /* the standard build's network proxies */
    return disp_errf(&h->d, "getting module named 'caddy.network_proxy.%s': module not registered: caddy.network_proxy.%s",
                     from, from);
  jset(a, np, "from", jstr(a, from, disp_pos(&h->d)));
  if (disp_next_arg(&h->d))
    jset(a, np, "url", jstr(a, disp_val(&h->d), disp_pos(&h->d)));
  jset(a, t, key, np);
  return 0;
}

/* tls (no arguments): the object's presence turns TLS on */
static int transport_tls(struct helper *h, struct json *tls, const char *key)
{
  (void)tls, (void)key;
  return disp_next_arg(&h->d) ? disp_arg_err(&h->d) : 0;
}

/* tls_trust_pool SOURCE { trust_der ...; trust_pem_files ...; pem_file ... } */
static int transport_trust_pool(struct helper *h, struct json *tls, const char *key)
{
  static const struct trust_list { const char *name, *key; } lists[] = {
    {"trust_der", "trusted_ca_certs"}, {"trust_pem_files", "trusted_ca_certs_pem_files"}, {"pem_file", "pem_files"},
  };
  static const char *const sources[] = {"combined", "file", "http", "inline", "pki_intermediate", "pki_root",
                                        "storage", "system"};   /* the standard build's tls.ca_pool.source modules */
  struct arena *a = h->ad->arena;
  if (!disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  const char *name = disp_val(&h->d);
  size_t k = 0;
  while (k < sizeof sources / sizeof sources[0] && strcmp(sources[k], name))
    k++;
  if (k == sizeof sources / sizeof sources[0])
    return disp_errf(&h->d, "getting module named 'tls.ca_pool.source.%s': module not registered: tls.ca_pool.source.%s",
                     name, name);
  struct json *pool = jobj(a);
  jset(a, pool, "provider", jstr(a, name, disp_pos(&h->d)));
  for (int nest = h->d.nesting; disp_next_block(&h->d, nest);) {
    const char *sub = disp_val(&h->d);
    const struct trust_list *l = TABLE_FIND(lists, sub);
    if (!l)
      return disp_errf(&h->d, "unrecognized directive: %s", sub);
    int n;
    const char **args = disp_remaining_args(&h->d, &n);
    struct json *list = jget_or_new(a, pool, l->key, JSON_ARRAY);
    for (int i = 0; i < n; i++)
      jpush(a, list, jstr(a, args[i], disp_pos(&h->d)));
  }
  jset(a, tls, key, pool);
  return 0;
}

/* tls_client_auth AUTOMATE_NAME | CERT_FILE KEY_FILE */
static int transport_tls_client_auth(struct helper *h, struct json *tls, const char *key)
{
  (void)key;
  struct arena *a = h->ad->arena;
  int n;
  const char **args = disp_remaining_args(&h->d, &n);
  if (n == 1)
    jset(a, tls, "client_certificate_automate", jstr(a, args[0], disp_pos(&h->d)));
  else if (n == 2) {
    jset(a, tls, "client_certificate_file", jstr(a, args[0], disp_pos(&h->d)));
    jset(a, tls, "client_certificate_key_file", jstr(a, args[1], disp_pos(&h->d)));
  } else
    return disp_arg_err(&h->d);
  return 0;
}

/* env KEY VALUE */
static int transport_env(struct helper *h, struct json *env, const char *key)
{
  (void)key;
  const char *kv[2];
  if (!disp_args(&h->d, 2, kv))
    return disp_arg_err(&h->d);
  jset(h->ad->arena, env, kv[0], jstr(h->ad->arena, kv[1], disp_pos(&h->d)));
  return 0;
}

/* One transport option: how its value is parsed, the key it sets (NULL: its
 * own name) and the object the key goes in (NULL: the transport itself). */
struct transport_option {
  const char *name;
  int (*parse)(struct helper *h, struct json *obj, const char *key);
  const char *key;
  const char *object;
};

static const struct transport_option transport_http_options[] = {
  {"read_buffer", transport_size, "read_buffer_size", NULL},
  {"write_buffer", transport_size, "write_buffer_size", NULL},
  {"max_response_header", transport_size, "max_response_header_size", NULL},
  {"read_timeout", transport_duration, NULL, NULL},
  {"write_timeout", transport_duration, NULL, NULL},
  {"dial_timeout", transport_duration, NULL, NULL},
  {"dial_fallback_delay", transport_duration, NULL, NULL},
  {"response_header_timeout", transport_duration, NULL, NULL},
  {"expect_continue_timeout", transport_duration, NULL, NULL},
  {"keepalive", transport_keepalive, "idle_timeout", "keep_alive"},
  {"keepalive_interval", transport_duration, "probe_interval", "keep_alive"},
  {"keepalive_idle_conns", transport_int, "max_idle_conns", "keep_alive"},
  {"keepalive_idle_conns_per_host", transport_int, "max_idle_conns_per_host", "keep_alive"},
  {"resolvers", transport_strings, "addresses", "resolver"},
  {"versions", transport_strings, NULL, NULL},
  {"compression", transport_compression, NULL, NULL},
  {"max_conns_per_host", transport_int, NULL, NULL},
  {"proxy_protocol", transport_string, NULL, NULL},
  {"local_address", transport_string, NULL, NULL},
  {"forward_proxy_url", transport_forward_proxy_url, NULL, NULL},
  {"network_proxy", transport_network_proxy, NULL, NULL},
  {"tls", transport_tls, NULL, "tls"},
  {"tls_insecure_skip_verify", transport_flag, "insecure_skip_verify", "tls"},
  {"tls_timeout", transport_duration, "handshake_timeout", "tls"},
  {"tls_server_name", transport_string, "server_name", "tls"},
  {"tls_renegotiation", transport_string, "renegotiation", "tls"},
  {"tls_except_ports", transport_strings, "except_ports", "tls"},
  {"tls_curves", transport_strings, "curves", "tls"},
  {"tls_trusted_ca_certs", transport_strings, "root_ca_pem_files", "tls"},
  {"tls_trust_pool", transport_trust_pool, "ca", "tls"},
  {"tls_client_auth", transport_tls_client_auth, NULL, "tls"},
};

static const struct transport_option transport_fastcgi_options[] = {
  {"root", transport_string, NULL, NULL},
  {"split", transport_strings, "split_path", NULL},
  {"env", transport_env, NULL, "env"},
  {"resolve_root_symlink", transport_flag, NULL, NULL},
  {"dial_timeout", transport_duration, NULL, NULL},
  {"read_timeout", transport_duration, NULL, NULL},
  {"write_timeout", transport_duration, NULL, NULL},
  {"capture_stderr", transport_flag, NULL, NULL},
};

int proxy_transport_option(struct helper *h, struct json *t, const char *name, const char *sub)
{
  const struct transport_option *o = !strcmp(name, "fastcgi") ? TABLE_FIND(transport_fastcgi_options, sub)
                                                                : TABLE_FIND(transport_http_options, sub);
  if (!o)
    return disp_errf(&h->d, "unrecognized subdirective %s", sub);
  struct json *obj = o->object ? jget_or_new(h->ad->arena, t, o->object, JSON_OBJECT) : t;
  return o->parse(h, obj, o->key ? o->key : o->name);
}
