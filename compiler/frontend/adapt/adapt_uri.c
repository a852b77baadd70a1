/* The uri directive (Caddy's rewrite.parseCaddyfileURI): strip_prefix,
 * strip_suffix, replace, path_regexp and query on the rewrite handler. Empty
 * strings are left out as Go's omitempty leaves them out. */
#include <string.h>

#include "adapt.h"

/* a string field that Go's omitempty drops when empty */
static void uri_set_nonempty(struct helper *h, struct json *obj, const char *key, const char *value)
{
  if (value[0])
    jset(h->ad->arena, obj, key, jstr(h->ad->arena, value, disp_pos(&h->d)));
}

/* replace FIND REPLACE [LIMIT] */
static struct json *uri_substring(struct helper *h, const char **args, int n)
{
  struct arena *a = h->ad->arena;
  struct json *list = jarr(a), *item = jobj(a);
  uri_set_nonempty(h, item, "find", args[1]);
  uri_set_nonempty(h, item, "replace", args[2]);
  if (n == 4) {
    long long lim;
    if (!go_atoi(args[3], &lim)) {
      disp_errf(&h->d, "limit must be an integer; invalid: strconv.Atoi: parsing \"%s\": invalid syntax", args[3]);
      return NULL;
    }
    if (lim)
      jset(a, item, "limit", jint(a, lim, disp_pos(&h->d)));
  }
  jpush(a, list, item);
  return list;
}

static void uri_query_push(struct helper *h, struct json *q, const char *kind, const char *key, const char *val)
{
  struct json *item = jobj(h->ad->arena);
  uri_set_nonempty(h, item, "key", key);
  uri_set_nonempty(h, item, "val", val);
  jpush(h->ad->arena, jget_or_new(h->ad->arena, q, kind, JSON_ARRAY), item);
}

/* applyQueryOps: -KEY | +KEY VAL | OLD>NEW | KEY SEARCH_REGEXP REPLACE | KEY VAL */
static int uri_query_op(struct helper *h, struct json *q, const char **args, int n)
{
  struct arena *a = h->ad->arena;
  const char *key = args[0], *gt = strchr(key, '>');
  if (key[0] == '-') {
    if (n != 1)
      return disp_arg_err(&h->d);
    while (*key == '-')
      key++;
    jpush(a, jget_or_new(a, q, "delete", JSON_ARRAY), jstr(a, key, disp_pos(&h->d)));
  } else if (key[0] == '+') {
    if (n != 2)
      return disp_arg_err(&h->d);
    while (*key == '+')
      key++;
    uri_query_push(h, q, "add", key, args[1]);
  } else if (gt) {
    if (n != 1)
      return disp_arg_err(&h->d);
    const char *next = strchr(gt + 1, '>');   /* Go's strings.Split keeps the second part only */
    const char *to = next ? arena_strndup(a, gt + 1, (size_t)(next - gt - 1)) : gt + 1;
    uri_query_push(h, q, "rename", arena_strndup(a, key, (size_t)(gt - key)), to);
  } else if (n == 3) {
    struct json *item = jobj(a);
    uri_set_nonempty(h, item, "key", key);
    uri_set_nonempty(h, item, "search_regexp", args[1]);
    uri_set_nonempty(h, item, "replace", args[2]);
    jpush(a, jget_or_new(a, q, "replace", JSON_ARRAY), item);
  } else {
    if (n != 2)
      return disp_arg_err(&h->d);
    uri_query_push(h, q, "set", key, args[1]);
  }
  return 0;
}

/* query [op...] | query { op... }; the object keeps Go's field order */
static struct json *uri_query(struct helper *h, const char **args, int n)
{
  struct arena *a = h->ad->arena;
  if (n > 4) {
    disp_arg_err(&h->d);
    return NULL;
  }
  struct json *q = jobj(a);
  if (n > 1 && uri_query_op(h, q, args + 1, n - 1) < 0)
    return NULL;
  while (disp_next_block(&h->d, 0)) {
    if (n > 1) {
      disp_errf(&h->d, "Cannot specify uri query rewrites in both argument and block");
      return NULL;
    }
    int m;
    const char *key = disp_val(&h->d);
    const char **rest = disp_remaining_args(&h->d, &m);
    const char **line = arena_alloc(a, sizeof *line * (size_t)(m + 1));
    line[0] = key;
    memcpy(line + 1, rest, sizeof *line * (size_t)m);
    if (uri_query_op(h, q, line, m + 1) < 0)
      return NULL;
  }
  static const char *const order[] = {"rename", "set", "add", "replace", "delete"};
  struct json *sorted = jobj(a);
  for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
    struct json *v = json_object_get(q, order[i]);
    if (v)
      jset(a, sorted, order[i], v);
  }
  return sorted;
}

/* uri [matcher] strip_prefix|strip_suffix|replace|path_regexp|query ... */
struct json *adapt_uri(struct helper *h)
{
  struct arena *a = h->ad->arena;
  disp_next(&h->d);
  int n;
  const char **args = disp_remaining_args(&h->d, &n);
  if (n < 1) {
    disp_arg_err(&h->d);
    return NULL;
  }
  struct json *r = jobj(a), *v = NULL;
  jset(a, r, "handler", jstr(a, "rewrite", disp_pos(&h->d)));
  bool strip = !strcmp(args[0], "strip_prefix") || !strcmp(args[0], "strip_suffix");
  if (strip || !strcmp(args[0], "path_regexp")) {
    if (n != (strip ? 2 : 3)) {
      disp_arg_err(&h->d);
      return NULL;
    }
    if (strip)
      uri_set_nonempty(h, r, args[0][6] == 'p' ? "strip_path_prefix" : "strip_path_suffix", args[1]);
    else {
      struct json *item = jobj(a);
      uri_set_nonempty(h, item, "find", args[1]);
      uri_set_nonempty(h, item, "replace", args[2]);
      v = jarr(a);
      jpush(a, v, item);
      jset(a, r, "path_regexp", v);
    }
  } else if (!strcmp(args[0], "replace")) {
    if (n != 3 && n != 4) {
      disp_arg_err(&h->d);
      return NULL;
    }
    if (!(v = uri_substring(h, args, n)))
      return NULL;
    jset(a, r, "uri_substring", v);
  } else if (!strcmp(args[0], "query")) {
    if (!(v = uri_query(h, args, n)))
      return NULL;
    jset(a, r, "query", v);
  } else {
    disp_errf(&h->d, "unrecognized URI manipulation '%s'", args[0]);
    return NULL;
  }
  return r;
}
