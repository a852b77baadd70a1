/* Response-shaping handlers: encode (with its gzip/zstd options),
 * map, intercept, copy_response and copy_response_headers. */
#include <string.h>
#include <strings.h>

#include "proxy.h"

static struct json *handler_named(struct helper *h, const char *name)
{
  struct json *r = jobj(h->ad->arena);
  jset(h->ad->arena, r, "handler", jstr(h->ad->arena, name, disp_pos(&h->d)));
  return r;
}

/* gzip [LEVEL]: Gzip.UnmarshalCaddyfile reads one argument and nothing else */
static int encode_gzip(struct helper *h, struct json *e)
{
  disp_next(&h->d);
  if (!disp_next_arg(&h->d))
    return 0;
  long long level;
  const char *v = disp_val(&h->d);
  if (!go_atoi(v, &level))     /* Caddy returns strconv's error as it is, without a place */
    return fe_fail(h->d.err, disp_pos(&h->d), "strconv.Atoi: parsing \"%s\": invalid syntax", v);
  if (level)
    jset(h->ad->arena, e, "level", jint(h->ad->arena, level, disp_pos(&h->d)));
  return 0;
}

/* a zstd level: one of zstd.EncoderLevelFromString's names */
static int encode_zstd_level(struct helper *h, struct json *e, const char *v)
{
  static const char *const names[] = {"fastest", "default", "better", "best"};
  size_t i = 0;
  while (i < sizeof names / sizeof names[0] && strcasecmp(names[i], v))
    i++;
  if (i == sizeof names / sizeof names[0])
    return disp_errf(&h->d, "unexpected compression level, use one of 'fastest', 'better', 'best', 'default'");
  jset(h->ad->arena, e, "level", jstr(h->ad->arena, v, disp_pos(&h->d)));
  return 0;
}

/* zstd [LEVEL] { level LEVEL; disable_checksum }, each once */
static int encode_zstd(struct helper *h, struct json *e)
{
  disp_next(&h->d);
  int n;
  const char **args = disp_remaining_args(&h->d, &n);
  if (n > 1)
    return disp_arg_err(&h->d);
  if (n == 1 && encode_zstd_level(h, e, args[0]) < 0)
    return -1;
  for (int nest = h->d.nesting; disp_next_block(&h->d, nest);) {
    const char *sub = disp_val(&h->d);
    if (!strcmp(sub, "level")) {
      args = disp_remaining_args(&h->d, &n);
      if (n != 1)
        return disp_arg_err(&h->d);
      if (json_object_get(e, "level"))
        return disp_errf(&h->d, "compression level already specified");
      if (encode_zstd_level(h, e, args[0]) < 0)
        return -1;
    } else if (!strcmp(sub, "disable_checksum")) {
      if (disp_next_arg(&h->d))
        return disp_arg_err(&h->d);
      if (json_object_get(e, "checksum"))
        return disp_errf(&h->d, "checksum already specified");
      jset(h->ad->arena, e, "checksum", jbool(h->ad->arena, false));
    } else
      return disp_errf(&h->d, "unknown subdirective '%s'", sub);
  }
  json_object_sort(e);
  return 0;
}

/* An encoder in encode's block, read from its own segment: gzip or zstd, the
 * standard build's two (br is a plugin). */
static struct json *encode_encoder(struct helper *h, const char *name)
{
  int (*parse)(struct helper *, struct json *) = !strcmp(name, "gzip") ? encode_gzip
                                               : !strcmp(name, "zstd") ? encode_zstd : NULL;
  if (!parse) {
    disp_errf(&h->d, "getting module named 'http.encoders.%s': module not registered: http.encoders.%s", name, name);
    return NULL;
  }
  struct helper sub = *h;
  sub.d = disp_next_segment(&h->d);
  struct json *e = jobj(h->ad->arena);
  return parse(&sub, e) < 0 ? NULL : e;
}

struct json *adapt_encode(struct helper *h)
{
  struct arena *a = h->ad->arena;
  struct json *r = handler_named(h, "encode"), *encodings = jobj(a), *prefer = jarr(a);
  disp_next(&h->d);
  int n;
  const char *const *args = disp_remaining_args(&h->d, &n);
  while (disp_next_block(&h->d, 0)) {
    const char *sub = disp_val(&h->d);
    if (!strcmp(sub, "minimum_length")) {
      long long len;
      if (!disp_next_arg(&h->d) || !go_atoi(disp_val(&h->d), &len)) {
        disp_arg_err(&h->d);
        return NULL;
      }
      jset(a, r, "minimum_length", jint(a, len, disp_pos(&h->d)));
    } else if (!strcmp(sub, "match")) {
      struct dispenser seg = disp_next_segment(&h->d);
      struct json *m = matchers_response(h, &seg);
      if (!m)
        return NULL;
      jset(a, r, "match", m);
    } else {
      struct json *e = encode_encoder(h, sub);
      if (!e)
        return NULL;
      jset(a, encodings, sub, e);
      jpush(a, prefer, jstr(a, sub, disp_pos(&h->d)));
    }
  }
  static const char *const defaults[] = {"zstd", "gzip"};
  if (!prefer->count && !n)
    args = defaults, n = 2;
  for (int i = 0; i < n; i++) {
    if (strcmp(args[i], "gzip") && strcmp(args[i], "zstd")) {
      /* Caddy prints the zero ModuleInfo it got back, hence the empty quotes */
      disp_errf(&h->d, "finding encoder module '': module not registered: http.encoders.%s", args[i]);
      return NULL;
    }
    jset(a, encodings, args[i], jobj(a));
    jpush(a, prefer, jstr(a, args[i], disp_pos(&h->d)));
  }
  jset(a, r, "encodings", encodings);
  jset(a, r, "prefer", prefer);
  return r;
}

static int map_outputs(struct helper *h, struct json *mapping, int ndest)
{
  struct arena *a = h->ad->arena;
  struct json *outs = jarr(a);
  while (disp_next_arg(&h->d)) {
    struct token *t = disp_token(&h->d);
    jpush(a, outs, !t->quote && !strcmp(t->text, "-") ? jnull(a) : go_scalar(a, t));
  }
  if ((int)outs->count > ndest)
    return disp_errf(&h->d, "too many outputs");
  while ((int)outs->count < ndest)
    jpush(a, outs, jnull(a));
  jset(a, mapping, "outputs", outs);
  return 0;
}

/* map source dest... { input outputs... ; default outputs... } */
struct json *adapt_map(struct helper *h)
{
  struct arena *a = h->ad->arena;
  struct json *r = handler_named(h, "map");
  disp_next(&h->d);
  int n;
  const char **args = disp_remaining_args(&h->d, &n);
  if (n < 2) {
    disp_arg_err(&h->d);
    return NULL;
  }
  jset(a, r, "source", jstr(a, args[0], disp_pos(&h->d)));
  jset(a, r, "destinations", jstrarr(a, args + 1, n - 1, disp_pos(&h->d)));
  struct json *mappings = jarr(a);
  while (disp_next_block(&h->d, 0)) {
    const char *in = disp_val(&h->d);
    if (!strcmp(in, "default")) {
      if (json_object_get(r, "defaults")) {
        disp_errf(&h->d, "defaults already defined");
        return NULL;
      }
      int nd;
      const char **defs = disp_remaining_args(&h->d, &nd);
      struct json *list = jstrarr(a, defs, nd, disp_pos(&h->d));
      while ((int)list->count < n - 1)
        jpush(a, list, jstr(a, "", disp_pos(&h->d)));
      jset(a, r, "defaults", list);
      continue;
    }
    struct json *m = jobj(a);
    jset(a, m, in[0] == '~' ? "input_regexp" : "input", jstr(a, in[0] == '~' ? in + 1 : in, disp_pos(&h->d)));
    if (map_outputs(h, m, n - 1) < 0)
      return NULL;
    jpush(a, mappings, m);
  }
  if (mappings->count)
    jset(a, r, "mappings", mappings);
  return r;
}

/* intercept: response matchers, replace_status and handle_response only */
struct json *adapt_intercept(struct helper *h)
{
  struct proxy p;
  proxy_init(h, &p);
  jset(h->ad->arena, p.handler, "handler", jstr(h->ad->arena, "intercept", disp_pos(&h->d)));
  disp_next(&h->d);
  while (disp_next_block(&h->d, 0)) {
    const char *sub = disp_val(&h->d);
    if (sub[0] != '@' && strcmp(sub, "replace_status") && strcmp(sub, "handle_response")) {
      disp_errf(&h->d, "unrecognized subdirective %s", sub);
      return NULL;
    }
    if (proxy_subdirective(h, &p) < 0)
      return NULL;
  }
  if (proxy_handle_responses(h, &p) < 0)
    return NULL;
  return p.handler;
}

struct json *adapt_copy_response(struct helper *h)
{
  struct arena *a = h->ad->arena;
  struct json *r = handler_named(h, "copy_response");
  disp_next(&h->d);
  int n;
  const char **args = disp_remaining_args(&h->d, &n);
  long long code;
  if (n == 1 && go_atoi(args[0], &code) && code > 0) {
    jset(a, r, "status_code", jint(a, code, disp_pos(&h->d)));
    return r;
  }
  while (disp_next_block(&h->d, 0)) {
    if (strcmp(disp_val(&h->d), "status") || !disp_next_arg(&h->d)) {
      disp_errf(&h->d, "unrecognized subdirective '%s'", disp_val(&h->d));
      return NULL;
    }
    const char *v = disp_val(&h->d);
    jset(a, r, "status_code", go_atoi(v, &code) ? jint(a, code, disp_pos(&h->d)) : jstr(a, v, disp_pos(&h->d)));
  }
  return r;
}

struct json *adapt_copy_response_headers(struct helper *h)
{
  struct arena *a = h->ad->arena;
  struct json *r = handler_named(h, "copy_response_headers");
  disp_next(&h->d);
  if (disp_count_remaining_args(&h->d) > 0) {
    disp_arg_err(&h->d);
    return NULL;
  }
  while (disp_next_block(&h->d, 0)) {
    const char *sub = disp_val(&h->d);
    if (strcmp(sub, "include") && strcmp(sub, "exclude")) {
      disp_errf(&h->d, "unrecognized subdirective '%s'", sub);
      return NULL;
    }
    int n;
    const char **args = disp_remaining_args(&h->d, &n);
    struct json *list = jget_or_new(a, r, sub, JSON_ARRAY);
    for (int i = 0; i < n; i++)
      jpush(a, list, jstr(a, args[i], disp_pos(&h->d)));
  }
  return r;
}
