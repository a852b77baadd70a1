/* tls client_auth: mode, trust pools (inline, file), legacy trusted CA and
 * leaf certificates (files are read now and inlined as base64 DER, as Caddy
 * does at adapt time) and client certificate verifiers. */
#include <stdio.h>
#include <string.h>

#include "adapt.h"
#include "base/strbuf.h"

/* The base64 bodies of the PEM blocks in a file (= base64 of their DER). */
static int ca_pem_to_der(struct helper *h, const char *path, struct json *out)
{
  FILE *f = fopen(path, "r");
  if (!f)
    return disp_errf(&h->d, "open %s: no such file or directory", path);
  struct strbuf body;
  strbuf_init(&body, h->ad->arena);
  char line[4096];
  bool in = false;
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\r\n")] = 0;
    if (!strncmp(line, "-----BEGIN", 10)) {
      in = true;
      body.len = 0;
    } else if (!strncmp(line, "-----END", 8) && in) {
      in = false;
      jpush(h->ad->arena, out, jstr(h->ad->arena, arena_strndup(h->ad->arena, body.data ? body.data : "", body.len), disp_pos(&h->d)));
    } else if (in && !strchr(line, ':'))
      strbuf_puts(&body, line);
  }
  fclose(f);
  return 0;
}

/* the trust pool providers the Caddyfile reaches: their arguments' key and
 * their block's subdirectives (caddytls/capools.go UnmarshalCaddyfile) */
static const struct ca_pool_row {
  const char *name, *args_key;   /* args_key NULL: no arguments */
  const char *sub, *sub_key;
} ca_pool_rows[] = {
  {"inline", NULL, "trust_der", "trusted_ca_certs"},
  {"file", "pem_files", "pem_file", "pem_files"},
  {"pki_root", "authority", "authority", "authority"},
  {"pki_intermediate", "authority", "authority", "authority"},
};

static struct json *ca_pool_source(struct helper *h);

/* combined { source NAME ... } (CombinedCAPool) */
static struct json *ca_pool_combined(struct helper *h, struct json *pool)
{
  struct arena *a = h->ad->arena;
  if (disp_count_remaining_args(&h->d) > 0)
    return disp_arg_err(&h->d), NULL;
  struct json *sources = jarr(a);
  for (int nest = h->d.nesting; disp_next_block(&h->d, nest);) {
    if (strcmp(disp_val(&h->d), "source"))
      return disp_errf(&h->d, "unrecognized directive: %s", disp_val(&h->d)), NULL;
    if (!disp_next_arg(&h->d))
      return disp_arg_err(&h->d), NULL;
    struct json *src = ca_pool_source(h);
    if (!src)
      return NULL;
    jpush(a, sources, src);
  }
  if (!sources->count)
    return disp_errf(&h->d, "no sources specified"), NULL;
  jset(a, pool, "sources", sources);
  return pool;
}

/* The pool source named at the current token: NAME [ARGS...] [{ SUB ARGS... }] */
static struct json *ca_pool_source(struct helper *h)
{
  struct arena *a = h->ad->arena;
  const char *name = disp_val(&h->d);
  struct json *pool = jobj(a);
  jset(a, pool, "provider", jstr(a, name, disp_pos(&h->d)));
  if (!strcmp(name, "combined"))
    return ca_pool_combined(h, pool);
  if (!strcmp(name, "system")) {   /* the system's roots; takes nothing */
    if (disp_count_remaining_args(&h->d) > 0)
      return disp_arg_err(&h->d), NULL;
    if (disp_next_block(&h->d, h->d.nesting))
      return disp_errf(&h->d, "system trust pool does not support any configuration"), NULL;
    return pool;
  }
  const struct ca_pool_row *row = TABLE_FIND(ca_pool_rows, name);
  if (!row)
    return disp_errf(&h->d, "getting module named 'tls.ca_pool.source.%s': module not registered", name), NULL;
  if (!row->args_key && disp_count_remaining_args(&h->d) > 0)
    return disp_arg_err(&h->d), NULL;
  while (row->args_key && disp_next_arg(&h->d))
    jpush(a, jget_or_new(a, pool, row->args_key, JSON_ARRAY), jstr(a, disp_val(&h->d), disp_pos(&h->d)));
  for (int nest = h->d.nesting; disp_next_block(&h->d, nest);) {
    const char *sub = disp_val(&h->d);
    if (strcmp(sub, row->sub) != 0)
      return disp_errf(&h->d, "unrecognized directive: %s", sub), NULL;
    struct json *list = jget_or_new(a, pool, row->sub_key, JSON_ARRAY);
    while (disp_next_arg(&h->d))
      jpush(a, list, jstr(a, disp_val(&h->d), disp_pos(&h->d)));
  }
  const struct json *got = json_object_get(pool, row->args_key ? row->args_key : row->sub_key);
  if (!got || got->count == 0)
    return disp_errf(&h->d, strcmp(row->sub, "authority") ? "no certificates specified" : "no authorities specified"),
           NULL;
  json_sort_deep(pool);
  return pool;
}

/* trust_pool NAME ... */
static int ca_trust_pool(struct helper *h, struct json *auth)
{
  if (!disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  struct json *pool = ca_pool_source(h);
  if (!pool)
    return -1;
  jset(h->ad->arena, auth, "ca", pool);
  return 0;
}

static struct json *ca_loader(struct helper *h, const char *name)
{
  struct arena *a = h->ad->arena;
  if (strcmp(name, "file") && strcmp(name, "folder")) {
    disp_errf(&h->d, "getting module named 'tls.leaf_cert_loader.%s': module not registered", name);
    return NULL;
  }
  struct json *l = jobj(a), *list = jarr(a);
  jset(a, l, "loader", jstr(a, name, disp_pos(&h->d)));
  while (disp_next_arg(&h->d))
    jpush(a, list, jstr(a, disp_val(&h->d), disp_pos(&h->d)));
  jset(a, l, name[1] == 'i' ? "files" : "folders", list);
  json_sort_deep(l);
  return l;
}

/* verifier leaf (one line or a block of loaders) | verifier NAME */
static int ca_verifier(struct helper *h, struct json *auth)
{
  struct arena *a = h->ad->arena;
  if (!disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  struct json *v = jobj(a);
  jset(a, v, "verifier", jstr(a, disp_val(&h->d), disp_pos(&h->d)));
  if (!strcmp(disp_val(&h->d), "leaf")) {
    struct json *loaders = jarr(a), *l;
    if (disp_next_arg(&h->d)) {
      if (!(l = ca_loader(h, disp_val(&h->d))))
        return -1;
      jpush(a, loaders, l);
    }
    for (int nest = h->d.nesting; disp_next_block(&h->d, nest);) {
      if (!(l = ca_loader(h, disp_val(&h->d))))
        return -1;
      jpush(a, loaders, l);
    }
    jset(a, v, "leaf_certs_loaders", loaders);
  }
  json_sort_deep(v);
  jpush(a, jget_or_new(a, auth, "verifiers", JSON_ARRAY), v);
  return 0;
}

/* mode MODE */
static int ca_mode(struct helper *h, struct json *auth, struct json *ca_certs, const char *sub)
{
  (void)ca_certs;
  if (disp_count_remaining_args(&h->d) != 1 || !disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  jset(h->ad->arena, auth, sub, jstr(h->ad->arena, disp_val(&h->d), disp_pos(&h->d)));
  return 0;
}

/* trust_pool MODULE ...: not together with trusted_ca_cert[_file] */
static int ca_pool(struct helper *h, struct json *auth, struct json *ca_certs, const char *sub)
{
  (void)sub;
  return ca_certs->count ? disp_errf(&h->d, "cannot specify both 'trust_pool' and 'trusted_ca_cert' or 'trusted_ca_cert_file'")
                         : ca_trust_pool(h, auth);
}

static int ca_verifier_option(struct helper *h, struct json *auth, struct json *ca_certs, const char *sub)
{
  (void)ca_certs, (void)sub;
  return ca_verifier(h, auth);
}

/* trusted_ca_cert[_file] / trusted_leaf_cert[_file] BASE64|PEM_FILE */
static int ca_trusted(struct helper *h, struct json *auth, struct json *ca_certs, const char *sub)
{
  struct arena *a = h->ad->arena;
  bool leaf = strstr(sub, "leaf") != NULL, file = strstr(sub, "_file") != NULL;
  if (!leaf && json_object_get(auth, "ca"))
    return disp_errf(&h->d, "cannot specify both 'trust_pool' and 'trusted_ca_cert' or 'trusted_ca_cert_file'");
  if (!disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  struct json *list = leaf ? jget_or_new(a, auth, "trusted_leaf_certs", JSON_ARRAY) : ca_certs;
  if (file)
    return ca_pem_to_der(h, disp_val(&h->d), list);
  jpush(a, list, jstr(a, disp_val(&h->d), disp_pos(&h->d)));
  return 0;
}

/* client_auth's subdirectives; ca_certs gathers the inline CA certificates */
static const struct ca_row {
  const char *name;
  int (*parse)(struct helper *h, struct json *auth, struct json *ca_certs, const char *sub);
} ca_rows[] = {
  {"mode", ca_mode}, {"trust_pool", ca_pool}, {"verifier", ca_verifier_option},
  {"trusted_ca_cert", ca_trusted}, {"trusted_leaf_cert", ca_trusted},
  {"trusted_ca_cert_file", ca_trusted}, {"trusted_leaf_cert_file", ca_trusted},
};

static int ca_option(struct helper *h, struct json *auth, struct json *ca_certs, const char *sub)
{
  const struct ca_row *row = TABLE_FIND(ca_rows, sub);
  if (!row)
    return disp_errf(&h->d, "unknown subdirective for client_auth: %s", sub);
  return row->parse(h, auth, ca_certs, sub);
}

int tls_client_auth(struct helper *h, struct json *cp)
{
  struct arena *a = h->ad->arena;
  struct json *auth = jobj(a), *ca_certs = jarr(a);
  disp_next(&h->d);
  if (disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  for (int nest = h->d.nesting; disp_next_block(&h->d, nest);)
    if (ca_option(h, auth, ca_certs, disp_val(&h->d)) < 0)
      return -1;
  if (ca_certs->count) {
    struct json *pool = jobj(a);
    jset(a, pool, "provider", jstr(a, "inline", (struct srcpos){0}));
    jset(a, pool, "trusted_ca_certs", ca_certs);
    jset(a, auth, "ca", pool);
  }
  static const char *const order[] = {"ca", "trusted_ca_certs", "trusted_ca_certs_pem_files", "trusted_leaf_certs",
                                      "verifiers", "mode", NULL};
  json_reorder(a, auth, order);
  jset(a, cp, "client_authentication", auth);
  return 0;
}
