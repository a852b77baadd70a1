/* Header manipulation: the header and request_header directives and the
 * header operations (+add, -delete, ?default, >deferred, replace) shared with
 * reverse_proxy's header_up/header_down; response matchers for `match`. */
#include <string.h>

#include "adapt.h"

static void header_put(struct arena *a, struct json *ops, const char *kind, const char *field, const char *value,
                       bool add)
{
  struct json *map = jget_or_new(a, ops, kind, JSON_OBJECT);
  const char *key = go_canonical_header(a, field);
  struct json *list = add ? json_object_get(map, key) : NULL;
  if (!list) {
    list = jarr(a);
    jset(a, map, key, list);
  }
  jpush(a, list, jstr(a, value, (struct srcpos){0}));
  json_object_sort(map);
}

int header_apply_op(struct helper *h, struct json *ops, struct json *resp, const char *field,
                    const char *value, const char *replacement)
{
  struct arena *a = h->ad->arena;
  if (field[0] == '+')
    header_put(a, ops, "add", field + 1, value, true);
  else if (field[0] == '-') {
    jpush(a, jget_or_new(a, ops, "delete", JSON_ARRAY), jstr(a, field + 1, (struct srcpos){0}));
    if (resp)
      jset(a, resp, "deferred", jbool(a, true));
  } else if (field[0] == '?') {
    if (!resp)
      return disp_errf(&h->d, "%s: the default header modifier ('?') can only be used on response headers; "
                       "for conditional manipulation of request headers, use matchers", field);
    struct json *require = jget_or_new(a, resp, "require", JSON_OBJECT);
    struct json *headers = jget_or_new(a, require, "headers", JSON_OBJECT);
    jset(a, headers, field + 1, jnull(a));
    json_object_sort(headers);
    header_put(a, ops, "set", field + 1, value, false);
  } else if (replacement) {
    if (field[0] == '>' && resp)
      jset(a, resp, "deferred", jbool(a, true));
    while (*field && strchr("+-?>", *field))
      field++;
    struct json *map = jget_or_new(a, ops, "replace", JSON_OBJECT);
    struct json *list = jget_or_new(a, map, field, JSON_ARRAY), *r = jobj(a);
    jset(a, r, "replace", jstr(a, replacement, (struct srcpos){0}));
    jset(a, r, "search_regexp", jstr(a, value, (struct srcpos){0}));
    jpush(a, list, r);
    json_object_sort(map);
  } else if (field[0] == '>') {
    header_put(a, ops, "set", field + 1, value, false);
    if (resp)
      jset(a, resp, "deferred", jbool(a, true));
  } else
    header_put(a, ops, "set", field, value, false);
  return 0;
}

/* field [value [replacement]] on one line; only request_header refuses a
 * fourth token: Caddy's header leaves it unread (on the directive's own line it
 * is dropped, in a block it starts the next field) */
static int header_line(struct helper *h, struct json *ops, struct json *resp, const char *field, bool strict)
{
  const char *value = "", *replacement = NULL;
  if (disp_next_arg(&h->d))
    value = disp_val(&h->d);
  if (disp_next_arg(&h->d)) {
    replacement = disp_val(&h->d);
    if (strict && disp_next_arg(&h->d))
      return disp_arg_err(&h->d);
  }
  return header_apply_op(h, ops, resp, field, value, replacement);
}

/* pos: the directive's token, so codegen can point back at it */
static struct json *header_handler(struct arena *a, struct srcpos pos, struct json **resp, struct json **ops)
{
  struct json *hd = jobj(a);
  jset(a, hd, "handler", jstr(a, "headers", pos));
  *resp = jobj(a);
  *ops = *resp;                /* HeaderOps is embedded in RespHeaderOps */
  jset(a, hd, "response", *resp);
  return hd;
}

static bool header_empty(struct json *resp)
{
  return resp->count == 0;
}

/* header [matcher] [field [value [replacement]]] { field value; defer; match { } } */
int adapt_header(struct helper *h, struct config_values *out)
{
  struct arena *a = h->ad->arena;
  disp_next(&h->d);
  struct srcpos pos = disp_pos(&h->d);
  struct json *set, *resp, *ops, *resp2, *ops2;
  if (matchers_extract_set(h, &set) < 0)
    return -1;
  disp_next(&h->d);
  struct json *hd = header_handler(a, pos, &resp, &ops), *hd2 = header_handler(a, pos, &resp2, &ops2);
  bool has_args = false;
  if (disp_next_arg(&h->d)) {
    has_args = true;
    if (header_line(h, ops, resp, disp_val(&h->d), false) < 0)
      return -1;
  }
  while (disp_next_block(&h->d, 0)) {
    const char *field = disp_val(&h->d);
    if (!strcmp(field, "defer")) {
      jset(a, resp, "deferred", jbool(a, true));
      continue;
    }
    if (!strcmp(field, "match")) {
      struct dispenser seg = disp_next_segment(&h->d);
      struct json *m = matchers_response(h, &seg);
      if (!m)
        return -1;
      jset(a, resp, "require", m);
      continue;
    }
    if (has_args)
      return disp_errf(&h->d, "cannot specify headers in both arguments and block");
    size_t n = strlen(field);
    if (n && field[n - 1] == ':')
      field = arena_strndup(a, field, n - 1);
    bool req = field[0] == '?';
    if (header_line(h, req ? ops2 : ops, req ? resp2 : resp, field, false) < 0)
      return -1;
  }
  if (!header_empty(resp))
    values_push_route(h, out, route_new(h, set, hd));
  if (!header_empty(resp2))
    values_push_route(h, out, route_new(h, set, hd2));
  return 0;
}

/* request_header [matcher] field [value [replacement]] */
int adapt_request_header(struct helper *h, struct config_values *out)
{
  struct arena *a = h->ad->arena;
  disp_next(&h->d);
  struct srcpos pos = disp_pos(&h->d);
  struct json *set;
  if (matchers_extract_set(h, &set) < 0)
    return -1;
  disp_next(&h->d);
  if (!disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  const char *field = disp_val(&h->d);
  size_t n = strlen(field);
  if (n && field[n - 1] == ':')
    field = arena_strndup(a, field, n - 1);
  struct json *hd = jobj(a), *ops = jobj(a);
  jset(a, hd, "handler", jstr(a, "headers", pos));
  jset(a, hd, "request", ops);
  if (header_line(h, ops, NULL, field, true) < 0)
    return -1;
  values_push_route(h, out, route_new(h, set, hd));
  return 0;
}
