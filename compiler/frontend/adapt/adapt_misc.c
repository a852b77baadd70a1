/* Small handler directives: templates, log_append, push, basic_auth and fs
 * (Caddy's templates, logging, push, caddyauth and builtins parsers). */
#include <string.h>

#include "adapt.h"

static struct json *misc_handler(struct helper *h, const char *name)
{
  struct json *r = jobj(h->ad->arena);
  jset(h->ad->arena, r, "handler", jstr(h->ad->arena, name, disp_pos(&h->d)));
  return r;
}

static struct json *misc_fail(struct helper *h)
{
  disp_arg_err(&h->d);
  return NULL;
}

/* templates { mime ...; between OPEN CLOSE; root DIR; extensions ... } */
/* extensions { MODULE ... }: the standard build has no template function
 * modules, so any one named is refused as Caddy refuses it */
static int templates_extensions(struct helper *h, struct json *r, int nargs)
{
  if (nargs)
    return disp_arg_err(&h->d);
  (void)r;                     /* nothing loads, so "extensions already specified" cannot happen */
  if (disp_next_block(&h->d, h->d.nesting))
    return disp_errf(&h->d, "getting module named 'http.handlers.templates.functions.%s': module not registered: "
                     "http.handlers.templates.functions.%s", disp_val(&h->d), disp_val(&h->d));
  return 0;
}

struct json *adapt_templates(struct helper *h)
{
  struct arena *a = h->ad->arena;
  struct json *r = misc_handler(h, "templates");
  disp_next(&h->d);
  while (disp_next_block(&h->d, 0)) {
    const char *sub = disp_val(&h->d);
    int n;
    if (!strcmp(sub, "root")) {
      if (!disp_next_arg(&h->d))
        return misc_fail(h);
      jset(a, r, "file_root", jstr(a, disp_val(&h->d), disp_pos(&h->d)));
      continue;
    }
    const char **args = disp_remaining_args(&h->d, &n);
    if (!strcmp(sub, "mime") && n)
      jset(a, r, "mime_types", jstrarr(a, args, n, disp_pos(&h->d)));
    else if (!strcmp(sub, "between") && n == 2)
      jset(a, r, "delimiters", jstrarr(a, args, n, disp_pos(&h->d)));
    else if (!strcmp(sub, "mime") || !strcmp(sub, "between"))
      return misc_fail(h);
    else if (!strcmp(sub, "extensions") && templates_extensions(h, r, n) < 0)
      return NULL;
    /* anything else: Caddy's switch has no default case, so the line is not read */
  }
  return r;
}

/* log_append [<]key value */
struct json *adapt_log_append(struct helper *h)
{
  struct arena *a = h->ad->arena;
  struct json *r = misc_handler(h, "log_append");
  disp_next(&h->d);
  const char *kv[2];
  if (!disp_all_args(&h->d, 2, kv))
    return misc_fail(h);
  if (kv[0][0] == '<') {
    jset(a, r, "early", jbool(a, true));
    kv[0]++;
  }
  jset(a, r, "key", jstr(a, kv[0], disp_pos(&h->d)));
  jset(a, r, "value", jstr(a, kv[1], disp_pos(&h->d)));
  return r;
}

static void push_resource(struct helper *h, struct json *r, const char *method, const char *target)
{
  struct arena *a = h->ad->arena;
  struct json *res = jobj(a);
  if (method)
    jset(a, res, "method", jstr(a, method, disp_pos(&h->d)));
  jset(a, res, "target", jstr(a, target, disp_pos(&h->d)));
  jpush(a, jget_or_new(a, r, "resources", JSON_ARRAY), res);
}

/* push [resource] { [GET|HEAD] resource; headers { ... } } */
struct json *adapt_push(struct helper *h)
{
  struct arena *a = h->ad->arena;
  struct json *r = misc_handler(h, "push");
  disp_next(&h->d);
  if (disp_next_arg(&h->d)) {
    push_resource(h, r, NULL, disp_val(&h->d));
    if (disp_next_arg(&h->d))
      return misc_fail(h);
  }
  while (disp_next_block(&h->d, 0)) {
    const char *sub = disp_val(&h->d);
    if (!strcmp(sub, "headers")) {
      struct json *ops = jget_or_new(a, r, "headers", JSON_OBJECT);
      for (int nest = h->d.nesting; disp_next_block(&h->d, nest);) {
        const char *field = disp_val(&h->d), *value = disp_next_arg(&h->d) ? disp_val(&h->d) : "";
        if (header_apply_op(h, ops, NULL, field, value, NULL) < 0)
          return NULL;
      }
    } else if (!strcmp(sub, "GET") || !strcmp(sub, "HEAD")) {
      if (!disp_next_arg(&h->d))
        return misc_fail(h);
      push_resource(h, r, sub, disp_val(&h->d));
    } else
      push_resource(h, r, NULL, sub);
  }
  return r;
}

/* basic_auth [hash [realm]] { user hashed_password } */
struct json *adapt_basic_auth(struct helper *h)
{
  struct arena *a = h->ad->arena;
  disp_next(&h->d);
  struct json *r = misc_handler(h, "authentication"), *providers = jobj(a);   /* at the directive */
  int n;
  const char **args = disp_remaining_args(&h->d, &n);
  if (n > 2)
    return misc_fail(h);
  const char *hash = n ? args[0] : "bcrypt";
  if (strcmp(hash, "bcrypt") && strcmp(hash, "argon2id")) {
    disp_errf(&h->d, "unrecognized hash algorithm: %s", hash);
    return NULL;
  }
  struct json *ba = jobj(a), *alg = jobj(a), *accounts = jarr(a);
  jset(a, alg, "algorithm", jstr(a, hash, disp_pos(&h->d)));
  while (disp_next_block(&h->d, 0)) {
    struct json *acct = jobj(a);
    const char *user = disp_val(&h->d), *pwd = NULL;
    if (disp_next_arg(&h->d))
      pwd = disp_val(&h->d);
    if (disp_next_arg(&h->d))
      return misc_fail(h);
    if (!*user || !pwd || !*pwd) {
      disp_errf(&h->d, "username and password cannot be empty or missing");
      return NULL;
    }
    jset(a, acct, "username", jstr(a, user, disp_pos(&h->d)));
    jset(a, acct, "password", jstr(a, pwd, disp_pos(&h->d)));
    jpush(a, accounts, acct);
  }
  if (accounts->count)         /* omitempty, as realm below */
    jset(a, ba, "accounts", accounts);
  jset(a, ba, "hash", alg);
  jset(a, ba, "hash_cache", jobj(a));
  if (n == 2 && args[1][0])
    jset(a, ba, "realm", jstr(a, args[1], disp_pos(&h->d)));
  jset(a, providers, "http_basic", ba);
  jset(a, r, "providers", providers);
  return r;
}

/* fs NAME: the file system later handlers use */
struct json *adapt_fs(struct helper *h)
{
  disp_next(&h->d);
  if (!disp_next_arg(&h->d))
    return misc_fail(h);
  struct json *r = misc_handler(h, "vars");
  jset(h->ad->arena, r, "fs", jstr(h->ad->arena, disp_val(&h->d), disp_pos(&h->d)));
  return disp_next_arg(&h->d) ? misc_fail(h) : r;
}
