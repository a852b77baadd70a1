/* Directives that nest directives: handle, handle_path, route,
 * handle_errors, and invoke of named routes (builtins.go, routes). */
#include <string.h>

#include "adapt.h"

struct json *adapt_handle(struct helper *h)
{
  return segment_as_subroute(h, true);
}

struct json *adapt_route(struct helper *h)
{
  return segment_as_subroute(h, false);
}

/* handle_path <path> { ... }: a subroute that first strips the prefix */
int adapt_handle_path(struct helper *h, struct config_values *out)
{
  struct arena *a = h->ad->arena;
  disp_next(&h->d);
  if (!disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  const char *path = disp_val(&h->d);
  struct srcpos pos = disp_pos(&h->d);
  if (path[0] != '/')
    return disp_errf(&h->d, "path matcher must begin with '/', got %s", path);
  size_t n = strlen(path);
  const char *prefix = n >= 2 && !strcmp(path + n - 2, "/*") ? arena_strndup(a, path, n - 2) :
                       n && path[n - 1] == '*' ? arena_strndup(a, path, n - 1) : path;
  struct json *set;
  disp_reset(&h->d);
  disp_next(&h->d);
  if (matchers_extract_set(h, &set) < 0)
    return -1;
  struct json *sr = segment_as_subroute(h, true);
  if (!sr)
    return -1;
  struct json *rewrite = jobj(a);
  jset(a, rewrite, "handler", jstr(a, "rewrite", pos));
  if (prefix[0])               /* omitempty: a bare wildcard path strips nothing */
    jset(a, rewrite, "strip_path_prefix", jstr(a, prefix, pos));
  struct json *first = route_new(h, NULL, rewrite);
  struct json *routes = jarr(a), *old = json_object_get(sr, "routes");
  jpush(a, routes, first);
  for (size_t i = 0; old && i < old->count; i++)
    jpush(a, routes, old->items[i]);
  jset(a, sr, "routes", routes);
  values_push_route(h, out, route_new(h, set, sr));
  return 0;
}

static const char *handle_errors_expression(struct helper *h, const char **args, int n)
{
  struct strbuf expr, codes;
  strbuf_init(&expr, h->ad->arena);
  strbuf_init(&codes, h->ad->arena);
  for (int i = 0; i < n; i++) {
    long long v;
    if (strlen(args[i]) != 3) {
      disp_errf(&h->d, "bad status value '%s'", args[i]);
      return NULL;
    }
    if (!strcmp(args[i] + 1, "xx")) {
      if (args[i][0] < '0' || args[i][0] > '9') {
        disp_errf(&h->d, "bad status value '%c': strconv.Atoi: parsing \"%c\": invalid syntax", args[i][0], args[i][0]);
        return NULL;
      }
      strbuf_printf(&expr, "%s{http.error.status_code} >= %c00 && {http.error.status_code} <= %c99",
                    expr.len ? " || " : "", args[i][0], args[i][0]);
      continue;
    }
    if (!go_atoi(args[i], &v)) {
      disp_errf(&h->d, "bad status value '%s': strconv.Atoi: parsing \"%s\": invalid syntax", args[i], args[i]);
      return NULL;
    }
    strbuf_printf(&codes, "%s%s", codes.len ? ", " : "", args[i]);
  }
  if (codes.len)
    strbuf_printf(&expr, "%s{http.error.status_code} in [%s]", expr.len ? " || " : "", strbuf_cstr(&codes));
  return arena_strdup(h->ad->arena, strbuf_cstr(&expr));
}

/* handle_errors [codes...] { ... } */
int adapt_handle_errors(struct helper *h, struct config_values *out)
{
  struct arena *a = h->ad->arena;
  disp_next(&h->d);
  int n;
  const char **args = disp_remaining_args(&h->d, &n);
  struct srcpos pos = disp_pos(&h->d);
  const char *expr = handle_errors_expression(h, args, n);
  if (!expr)
    return -1;
  disp_prev(&h->d);
  struct json *sr = segment_as_subroute(h, true);
  if (!sr)
    return -1;
  struct json *set = NULL;
  if (*expr) {
    set = jobj(a);
    jset(a, set, "expression", jstr(a, expr, pos));
  }
  struct json *wrapper = jobj(a), *routes = jarr(a);
  jpush(a, routes, route_new(h, set, sr));
  jset(a, wrapper, "routes", routes);
  values_push(h, out, "error_route", wrapper);
  return 0;
}

/* invoke <name> */
int adapt_invoke(struct helper *h, struct config_values *out)
{
  struct arena *a = h->ad->arena;
  disp_next(&h->d);
  struct json *set;
  if (matchers_extract_set(h, &set) < 0)
    return -1;
  disp_next(&h->d);
  if (!disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  const char *name = disp_val(&h->d);
  struct srcpos pos = disp_pos(&h->d);
  if (disp_next_block(&h->d, 0))
    return disp_arg_err(&h->d);
  *ARENA_PUSH(a, h->ad->invoked.items, h->ad->invoked.count, h->ad->invoked.cap) = name;
  struct json *inv = jobj(a);
  jset(a, inv, "handler", jstr(a, "invoke", pos));
  jset(a, inv, "name", jstr(a, name, pos));
  values_push_route(h, out, route_new(h, set, inv));
  return 0;
}
