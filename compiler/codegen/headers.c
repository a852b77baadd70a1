/* The headers handler: response header set/add/delete as resp_header helper
 * calls. Deferred ops (Caddy applies them when the response is written) are
 * generated into the entry's deferred function and only flagged here. */
#include <string.h>

#include "cg.h"

static const char *const headers_keys[] = {"handler", "response", NULL};
static const char *const headers_response_keys[] = {"add", "set", "delete", "deferred", NULL};

/* a field name: placeholders and wildcards are not ours yet */
static const char *headers_name(struct cg *cg, const char *name, const struct json *at)
{
  if (strpbrk(name, "{}*")) {
    cg_refuse(cg, at, "header field name '%s'", name);
    return NULL;
  }
  return cg_cstr(cg, cg_canonical_header(cg, name, strlen(name)), strlen(name));
}

/* values of one field into the value buffer, joined by sep ("" for one) */
static int headers_values(struct cg *cg, const struct json *vals, size_t from, size_t to, const char *sep)
{
  int bad = 0;
  for (size_t i = from; i < to; i++) {
    struct ph_string ph;
    if (vals->items[i]->kind != JSON_STRING || ph_parse(cg, vals->items[i], PH_KNOWN, &ph) < 0) {
      if (vals->items[i]->kind != JSON_STRING)
        cg_refuse(cg, vals->items[i], "header value that is not a string");
      bad = -1;
      continue;
    }
    if (i > from && *sep)
      emit_stmt(cg, cg_pos(cg, vals), "zs_lit(ZS_BUF_VALUE, %s);", cg_cstr(cg, sep, strlen(sep)));
    ph_emit(cg, cg_pos(cg, vals->items[i]), &ph, "ZS_BUF_VALUE");
  }
  return bad;
}

/* add: each value its own field line; set: one line, values joined by ","
 * (Go's Header.Set of strings.Join) */
static int headers_map(struct cg *cg, const struct json *map, bool add)
{
  if (!map)
    return 0;
  if (map->kind != JSON_OBJECT) {
    cg_refuse(cg, map, "header operation that is not an object");
    return -1;
  }
  int bad = 0;
  for (size_t i = 0; i < map->count; i++) {
    const struct json *vals = map->members[i].value;
    const char *name = headers_name(cg, map->members[i].key, vals);
    if (!name || vals->kind != JSON_ARRAY) {
      if (name)
        cg_refuse(cg, vals, "header values that are not a list");
      bad = -1;
      continue;
    }
    for (size_t k = 0; add && k < vals->count; k++) {
      bad |= headers_values(cg, vals, k, k + 1, "");
      emit_stmt(cg, cg_pos(cg, vals->items[k]), "zs_hdr(ZS_HDR_ADD, %s);", name);
    }
    if (!add) {
      bad |= headers_values(cg, vals, 0, vals->count, ",");
      emit_stmt(cg, cg_pos(cg, vals), "zs_hdr(ZS_HDR_SET, %s);", name);
    }
  }
  return bad;
}

static int headers_delete(struct cg *cg, const struct json *list)
{
  if (!list)
    return 0;
  if (list->kind != JSON_ARRAY) {
    cg_refuse(cg, list, "header delete that is not a list");
    return -1;
  }
  int bad = 0;
  for (size_t i = 0; i < list->count; i++) {
    const char *name = cg_string(cg, list->items[i], "header delete");
    name = name ? headers_name(cg, name, list->items[i]) : NULL;
    if (!name) {
      bad = -1;
      continue;
    }
    emit_stmt(cg, cg_pos(cg, list->items[i]), "zs_hdr(ZS_HDR_DELETE, %s);", name);
  }
  return bad;
}

/* Caddy's order within one handler: add, then set, then delete */
static int headers_ops(struct cg *cg, const struct json *resp)
{
  int bad = cg_check_keys(cg, resp, headers_response_keys, "headers response");
  bad |= headers_map(cg, json_object_get(resp, "add"), true);
  bad |= headers_map(cg, json_object_get(resp, "set"), false);
  bad |= headers_delete(cg, json_object_get(resp, "delete"));
  return bad;
}

/* generates the ops apart, to run from the deferred function */
static int headers_defer(struct cg *cg, const struct json *h, const struct json *resp)
{
  if (cg->deferred_count == CG_MAX_DEFERRED) {
    cg_refuse(cg, h, "more than %d deferred header handlers in one server", CG_MAX_DEFERRED);
    return -1;
  }
  emit_flush(cg);
  struct strbuf code, *saved = cg->out;
  int saved_line = cg->line, saved_indent = cg->indent;
  strbuf_init(&code, cg->a);
  cg->out = &code;
  cg->line = 0;
  cg->indent = 2;
  int bad = headers_ops(cg, resp);
  emit_flush(cg);
  cg->out = saved;
  cg->line = saved_line;
  cg->indent = saved_indent;
  size_t bit = cg->deferred_count;
  *ARENA_PUSH(cg->a, cg->deferred, cg->deferred_count, cg->deferred_cap) = strbuf_cstr(&code);
  emit_stmt(cg, cg_pos(cg, h), "deferred |= 1ull << %zu;", bit);
  return bad;
}

int headers_emit(struct cg *cg, const struct json *h)
{
  int bad = cg_check_keys(cg, h, headers_keys, "headers");
  const struct json *resp = json_object_get(h, "response");
  if (!resp)
    return bad;
  if (resp->kind != JSON_OBJECT) {
    cg_refuse(cg, resp, "headers response that is not an object");
    return -1;
  }
  const struct json *deferred = json_object_get(resp, "deferred");
  if (deferred && deferred->kind == JSON_BOOL && deferred->boolean)
    return bad | headers_defer(cg, h, resp);
  return bad | headers_ops(cg, resp);
}
