/* Handlers to C, one function per Caddy handler module. A handler that
 * responds (static_response, file_server, reverse_proxy) returns the action
 * and ends the chain; the others change request state and fall through. */
#include <string.h>

#include "cg.h"

/* every response leaves through here, so deferred header ops run first */
void cg_emit_return(struct cg *cg, struct srcpos pos, const char *action)
{
  if (cg->deferred_count > 0)
    emit_stmt(cg, pos, "zs_deferred_%s(deferred);", cg->entry);
  emit_stmt(cg, pos, "return %s;", action);
}

/* a string with placeholders into the value buffer, then `then` */
static int handler_build_value(struct cg *cg, const struct json *v, const char *what, const char *then)
{
  struct ph_string ph;
  if (!cg_string(cg, v, what) || ph_parse(cg, v, PH_ALL, &ph) < 0)
    return -1;
  ph_emit(cg, cg_pos(cg, v), &ph, "ZS_BUF_VALUE");
  emit_stmt(cg, cg_pos(cg, v), "%s", then);
  return 0;
}

/* static_response headers replace the field outright (w.Header()[f] = vals) */
static int static_headers(struct cg *cg, const struct json *map)
{
  if (!map)
    return 0;
  if (map->kind != JSON_OBJECT) {
    cg_refuse(cg, map, "static_response headers that are not an object");
    return -1;
  }
  int bad = 0;
  for (size_t i = 0; i < map->count; i++) {
    const char *key = map->members[i].key;
    const struct json *vals = map->members[i].value;
    if (strpbrk(key, "{}") || vals->kind != JSON_ARRAY) {
      cg_refuse(cg, vals, "static_response header '%s'", key);
      bad = -1;
      continue;
    }
    const char *name = cg_cstr(cg, key, strlen(key));
    if (vals->count == 0)
      emit_stmt(cg, cg_pos(cg, vals), "zs_hdr(ZS_HDR_DELETE, %s);", name);
    for (size_t k = 0; k < vals->count; k++)
      bad |= handler_build_value(cg, vals->items[k], "static_response header value",
                                 arena_printf(cg->a, "zs_hdr(%s, %s);", k ? "ZS_HDR_ADD" : "ZS_HDR_SET", name));
  }
  return bad;
}

static int refuse_true(struct cg *cg, const struct json *h, const char *key, const char *what)
{
  const struct json *v = json_object_get(h, key);
  if (!v || (v->kind == JSON_BOOL && !v->boolean))
    return 0;
  cg_refuse(cg, v, "%s option '%s'", what, key);
  return -1;
}

static int handler_static_response(struct cg *cg, const struct json *h)
{
  static const char *const keys[] = {"handler", "status_code", "body", "headers", "close", "abort", NULL};
  int bad = cg_check_keys(cg, h, keys, "static_response");
  bad |= refuse_true(cg, h, "close", "static_response") | refuse_true(cg, h, "abort", "static_response");
  int status = cg_status(cg, json_object_get(h, "status_code"), "static_response status_code");
  bad |= status < 0 ? -1 : 0;
  bad |= static_headers(cg, json_object_get(h, "headers"));
  const struct json *body = json_object_get(h, "body");
  struct ph_string ph = {0};
  if (body && (!cg_string(cg, body, "static_response body") || ph_parse(cg, body, PH_KNOWN, &ph) < 0))
    bad = -1;
  ph_emit(cg, cg_pos(cg, body ? body : h), &ph, "ZS_BUF_BODY");
  emit_stmt(cg, cg_pos(cg, h), "zs_resp_status(%d);", status > 0 ? status : 200);
  cg_emit_return(cg, cg_pos(cg, h), "ZS_RESPOND");
  return bad ? -1 : 1;
}

static int handler_file_server(struct cg *cg, const struct json *h)
{
  unsigned id = 0;
  int bad = config_file_server(cg, h, &id);
  const struct json *root = json_object_get(h, "root");
  if (root)
    bad |= handler_build_value(cg, root, "file_server root", "zs_var_set(ZS_VAR_root, ZS_BUF_VALUE);");
  cg_emit_return(cg, cg_pos(cg, h), arena_printf(cg->a, "ZS_ACTION(ZS_ACT_FILE, %u)", id));
  return bad ? -1 : 1;
}

static int handler_reverse_proxy(struct cg *cg, const struct json *h)
{
  unsigned id = 0;
  int bad = config_proxy(cg, h, &id);
  cg_emit_return(cg, cg_pos(cg, h), arena_printf(cg->a, "ZS_ACTION(ZS_ACT_PROXY, %u)", id));
  return bad ? -1 : 1;
}

/* rewrite with strip_path_prefix, as handle_path generates it */
static int handler_rewrite(struct cg *cg, const struct json *h)
{
  static const char *const keys[] = {"handler", "strip_path_prefix", NULL};
  int bad = cg_check_keys(cg, h, keys, "rewrite");
  const struct json *v = json_object_get(h, "strip_path_prefix");
  const char *prefix = v ? cg_string(cg, v, "strip_path_prefix") : NULL;
  if (!prefix || strpbrk(prefix, "{}")) {
    if (prefix || !v)
      cg_refuse(cg, v ? v : h, "rewrite without a constant strip_path_prefix");
    return -1;
  }
  const char *full = prefix[0] == '/' ? prefix : arena_printf(cg->a, "/%s", prefix);
  emit_stmt(cg, cg_pos(cg, v), "zs_strip_prefix(%s);", cg_cstr(cg, full, strlen(full)));
  return bad;
}

/* vars: only the variables the runtime reads (root) */
static int handler_vars(struct cg *cg, const struct json *h)
{
  int bad = 0;
  for (size_t i = 0; i < h->count; i++) {
    const char *key = h->members[i].key;
    const struct json *v = h->members[i].value;
    if (strcmp(key, "handler") == 0 || strcmp(key, "@id") == 0)
      continue;
    if (strcmp(key, "root") != 0) {
      cg_refuse(cg, v, "vars '%s'", key);
      bad = -1;
      continue;
    }
    bad |= handler_build_value(cg, v, "vars root", "zs_var_set(ZS_VAR_root, ZS_BUF_VALUE);");
  }
  return bad;
}

static int handler_subroute(struct cg *cg, const struct json *h)
{
  static const char *const keys[] = {"handler", "routes", NULL};
  int bad = cg_check_keys(cg, h, keys, "subroute");
  const struct json *routes = json_object_get(h, "routes");
  int always = routes ? routes_emit(cg, routes) : 0;
  return bad ? -1 : always;
}

int handler_emit(struct cg *cg, const struct json *h)
{
  const char *name = h->kind == JSON_OBJECT ? json_str(json_object_get(h, "handler")) : NULL;
  if (!name) {
    cg_refuse(cg, h, "a handler without a 'handler' name");
    return -1;
  }
  struct srcpos saved = cg->pos;
  cg->pos = cg_pos(cg, h);
  int r;
  if (strcmp(name, "static_response") == 0)
    r = handler_static_response(cg, h);
  else if (strcmp(name, "headers") == 0)
    r = headers_emit(cg, h);
  else if (strcmp(name, "file_server") == 0)
    r = handler_file_server(cg, h);
  else if (strcmp(name, "reverse_proxy") == 0)
    r = handler_reverse_proxy(cg, h);
  else if (strcmp(name, "rewrite") == 0)
    r = handler_rewrite(cg, h);
  else if (strcmp(name, "vars") == 0)
    r = handler_vars(cg, h);
  else if (strcmp(name, "subroute") == 0)
    r = handler_subroute(cg, h);
  else {
    cg_refuse(cg, json_object_get(h, "handler"), "handler '%s'", name);
    r = -1;
  }
  cg->pos = saved;
  return r;
}
