/* reverse_proxy transports: the http transport's Caddyfile options and the
 * fastcgi transport's, into their JSON (durations in ns, sizes in bytes). */
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

static struct json *transport_tls(struct helper *h, struct json *t)
{
  return jget_or_new(h->ad->arena, t, "tls", JSON_OBJECT);
}

static int transport_keepalive(struct helper *h, struct json *t, const char *sub)
{
  struct arena *a = h->ad->arena;
  struct json *ka = jget_or_new(a, t, "keep_alive", JSON_OBJECT);
  if (!strcmp(sub, "keepalive")) {
    if (!disp_next_arg(&h->d))
      return disp_arg_err(&h->d);
    if (!strcmp(disp_val(&h->d), "off")) {
      jset(a, ka, "enabled", jbool(a, false));
      return 0;
    }
    disp_prev(&h->d);
    return transport_duration(h, ka, "idle_timeout");
  }
  if (!strcmp(sub, "keepalive_interval"))
    return transport_duration(h, ka, "probe_interval");
  if (!strcmp(sub, "keepalive_idle_conns"))
    return transport_int(h, ka, "max_idle_conns");
  return transport_int(h, ka, "max_idle_conns_per_host");
}

static int transport_trust_pool(struct helper *h, struct json *t)
{
  struct arena *a = h->ad->arena;
  if (!disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  const char *source = disp_val(&h->d);
  struct json *pool = jobj(a);
  jset(a, pool, "provider", jstr(a, source, disp_pos(&h->d)));
  for (int nest = h->d.nesting; disp_next_block(&h->d, nest);) {
    const char *sub = disp_val(&h->d);
    if (!strcmp(sub, "trust_der") || !strcmp(sub, "trust_pem_files") || !strcmp(sub, "pem_file")) {
      int n;
      const char **args = disp_remaining_args(&h->d, &n);
      const char *key = !strcmp(sub, "trust_der") ? "trusted_ca_certs" : !strcmp(sub, "pem_file") ? "pem_files" : "trusted_ca_certs_pem_files";
      struct json *list = jget_or_new(a, pool, key, JSON_ARRAY);
      for (int i = 0; i < n; i++)
        jpush(a, list, jstr(a, args[i], disp_pos(&h->d)));
    } else
      return disp_errf(&h->d, "unrecognized directive: %s", sub);
  }
  jset(a, transport_tls(h, t), "ca", pool);
  return 0;
}

static int transport_http_tls(struct helper *h, struct json *t, const char *sub)
{
  struct arena *a = h->ad->arena;
  if (!strcmp(sub, "tls")) {
    if (disp_next_arg(&h->d))
      return disp_arg_err(&h->d);
    transport_tls(h, t);
    return 0;
  }
  if (!strcmp(sub, "tls_insecure_skip_verify")) {
    jset(a, transport_tls(h, t), "insecure_skip_verify", jbool(a, true));
    return 0;
  }
  if (!strcmp(sub, "tls_timeout"))
    return transport_duration(h, transport_tls(h, t), "handshake_timeout");
  if (!strcmp(sub, "tls_server_name"))
    return transport_string(h, transport_tls(h, t), "server_name");
  if (!strcmp(sub, "tls_renegotiation"))
    return transport_string(h, transport_tls(h, t), "renegotiation");
  if (!strcmp(sub, "tls_except_ports"))
    return transport_strings(h, transport_tls(h, t), "except_ports");
  if (!strcmp(sub, "tls_curves"))
    return transport_strings(h, transport_tls(h, t), "curves");
  if (!strcmp(sub, "tls_trusted_ca_certs"))
    return transport_strings(h, transport_tls(h, t), "root_ca_pem_files");
  if (!strcmp(sub, "tls_trust_pool"))
    return transport_trust_pool(h, t);
  if (!strcmp(sub, "tls_client_auth")) {
    int n;
    const char **args = disp_remaining_args(&h->d, &n);
    struct json *tls = transport_tls(h, t);
    if (n == 1)
      jset(a, tls, "client_certificate_automate", jstr(a, args[0], disp_pos(&h->d)));
    else if (n == 2) {
      jset(a, tls, "client_certificate_file", jstr(a, args[0], disp_pos(&h->d)));
      jset(a, tls, "client_certificate_key_file", jstr(a, args[1], disp_pos(&h->d)));
    } else
      return disp_arg_err(&h->d);
    return 0;
  }
  return 1;
}

static int transport_http_option(struct helper *h, struct json *t, const char *sub)
{
  struct arena *a = h->ad->arena;
  static const char *const sizes[][2] = {{"read_buffer", "read_buffer_size"}, {"write_buffer", "write_buffer_size"},
                                         {"max_response_header", "max_response_header_size"}};
  static const char *const durations[] = {"read_timeout", "write_timeout", "dial_timeout", "dial_fallback_delay",
                                          "response_header_timeout", "expect_continue_timeout"};
  for (int i = 0; i < 3; i++)
    if (!strcmp(sub, sizes[i][0]))
      return transport_size(h, t, sizes[i][1]);
  for (int i = 0; i < 6; i++)
    if (!strcmp(sub, durations[i]))
      return transport_duration(h, t, sub);
  if (!strncmp(sub, "keepalive", 9))
    return transport_keepalive(h, t, sub);
  if (!strcmp(sub, "resolvers")) {
    struct json *r = jget_or_new(a, t, "resolver", JSON_OBJECT);
    return transport_strings(h, r, "addresses");
  }
  if (!strcmp(sub, "versions"))
    return transport_strings(h, t, "versions");
  if (!strcmp(sub, "compression")) {
    if (disp_next_arg(&h->d) && !strcmp(disp_val(&h->d), "off"))
      jset(a, t, "compression", jbool(a, false));
    return 0;
  }
  if (!strcmp(sub, "max_conns_per_host"))
    return transport_int(h, t, "max_conns_per_host");
  if (!strcmp(sub, "proxy_protocol") || !strcmp(sub, "local_address"))
    return transport_string(h, t, sub);
  if (!strcmp(sub, "forward_proxy_url")) {
    struct json *np = jobj(a);
    jset(a, np, "from", jstr(a, "url", disp_pos(&h->d)));
    if (transport_string(h, np, "url") < 0)
      return -1;
    jset(a, t, "network_proxy", np);
    return 0;
  }
  if (!strcmp(sub, "network_proxy")) {
    struct json *np = jobj(a);
    if (!disp_next_arg(&h->d))
      return disp_arg_err(&h->d);
    jset(a, np, "from", jstr(a, disp_val(&h->d), disp_pos(&h->d)));
    if (disp_next_arg(&h->d))
      jset(a, np, "url", jstr(a, disp_val(&h->d), disp_pos(&h->d)));
    jset(a, t, "network_proxy", np);
    return 0;
  }
  return transport_http_tls(h, t, sub);
}

static int transport_fastcgi_option(struct helper *h, struct json *t, const char *sub)
{
  struct arena *a = h->ad->arena;
  if (!strcmp(sub, "root"))
    return transport_string(h, t, "root");
  if (!strcmp(sub, "split"))
    return transport_strings(h, t, "split_path");
  if (!strcmp(sub, "env")) {
    const char *kv[2];
    if (!disp_args(&h->d, 2, kv))
      return disp_arg_err(&h->d);
    struct json *env = jget_or_new(a, t, "env", JSON_OBJECT);
    jset(a, env, kv[0], jstr(a, kv[1], disp_pos(&h->d)));
    return 0;
  }
  if (!strcmp(sub, "resolve_root_symlink")) {
    jset(a, t, "resolve_root_symlink", jbool(a, true));
    return 0;
  }
  if (!strcmp(sub, "dial_timeout") || !strcmp(sub, "read_timeout") || !strcmp(sub, "write_timeout"))
    return transport_duration(h, t, sub);
  if (!strcmp(sub, "capture_stderr")) {
    jset(a, t, "capture_stderr", jbool(a, true));
    return 0;
  }
  return 1;
}

int proxy_transport_option(struct helper *h, struct json *t, const char *name, const char *sub)
{
  int r = !strcmp(name, "fastcgi") ? transport_fastcgi_option(h, t, sub) : transport_http_option(h, t, sub);
  if (r == 1)
    return disp_errf(&h->d, "unrecognized subdirective %s", sub);
  return r;
}
