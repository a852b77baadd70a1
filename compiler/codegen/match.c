/* Matchers to straight-line C: a route's match sets are ORed, the matchers
 * of a set ANDed, the values of a matcher ORed, each value compared by a
 * stdlib-bpf call chosen here at compile time, with Caddy's semantics
 * (path: cleaned, case-insensitive, * as prefix/suffix/substring or a glob;
 * host: case-insensitive, * labels; method: exact; header: * wildcards). */
#include <string.h>

#include "cg.h"

/* conditions are strings: "" is always true, "0" never, NULL an error */
static const char *cond_join(struct cg *cg, const char **parts, size_t n, bool is_or)
{
  const char *identity = is_or ? "0" : "", *absorb = is_or ? "" : "0";
  struct strbuf sb;
  strbuf_init(&sb, cg->a);
  size_t used = 0;
  for (size_t i = 0; i < n; i++) {
    if (strcmp(parts[i], absorb) == 0)
      return absorb;
    if (strcmp(parts[i], identity) == 0)
      continue;
    strbuf_printf(&sb, "%s%s", used ? (is_or ? " || " : " && ") : "", parts[i]);
    used++;
  }
  if (used == 0)
    return identity;
  if (used == 1)
    return strbuf_cstr(&sb);
  return arena_printf(cg->a, "(%s)", strbuf_cstr(&sb));
}

static bool str_has(const struct json *v, const char *needle)
{
  return memmem(v->text, v->len, needle, strlen(needle)) != NULL;
}

static size_t str_count(const char *s, size_t len, char c)
{
  size_t n = 0;
  for (size_t i = 0; i < len; i++)
    n += s[i] == c;
  return n;
}

/* Go's path.Match syntax: a bad pattern never matches there; we refuse it */
static bool glob_valid(const char *p, size_t len)
{
  for (size_t i = 0; i < len; i++) {
    if (p[i] == '\\' && ++i >= len)
      return false;
    if (p[i] != '[')
      continue;
    size_t ranges = 0;
    if (++i < len && p[i] == '^')
      i++;
    for (;; ranges++) {
      if (i >= len)
        return false;
      if (p[i] == ']' && ranges > 0)
        break;
      for (int side = 0; side < 2; side++) {
        if (i >= len || p[i] == '-' || p[i] == ']')
          return false;
        if (p[i] == '\\' && ++i >= len)
          return false;
        i++;
        if (side == 1 || i >= len || p[i] != '-')
          break;
        i++;
      }
    }
  }
  return true;
}

/* one path pattern, lowercased as Caddy's Provision does */
static const char *match_path_one(struct cg *cg, const struct json *v)
{
  if (v->kind != JSON_STRING || str_has(v, "{") || str_has(v, "%")) {
    cg_refuse(cg, v, "path matcher pattern '%s'", v->kind == JSON_STRING ? v->text : "?");
    return NULL;
  }
  const char *p = cg_lower(cg, v->text, v->len);
  size_t len = v->len, stars = str_count(p, len, '*');
  const char *flag = str_has(v, "//") ? " | ZS_PATH_KEEP_SLASHES" : "";
  if (len == 1 && p[0] == '*')
    return "";
  const char *kind = "ZS_STR_GLOB";
  if (stars == 2 && p[0] == '*' && p[len - 1] == '*')
    p++, len -= 2, kind = "ZS_STR_CONTAINS";
  else if (stars == 1 && p[0] == '*')
    p++, len--, kind = "ZS_STR_SUFFIX";
  else if (stars == 1 && p[len - 1] == '*')
    len--, kind = "ZS_STR_PREFIX";
  else if (!strpbrk(p, "*?[\\"))
    kind = "ZS_STR_EXACT";
  else if (!glob_valid(p, len)) {
    cg_refuse(cg, v, "malformed path pattern '%s'", v->text);
    return NULL;
  }
  return arena_printf(cg->a, "zs_path_is(req, %s, %s%s)", cg_cstr(cg, p, len), kind, flag);
}

static const char *match_host_one(struct cg *cg, const struct json *v)
{
  if (v->kind != JSON_STRING || str_has(v, "{")) {
    cg_refuse(cg, v, "host matcher value '%s'", v->kind == JSON_STRING ? v->text : "?");
    return NULL;
  }
  const char *lit = cg_cstr(cg, cg_lower(cg, v->text, v->len), v->len);
  if (str_has(v, "*"))
    return arena_printf(cg->a, "zs_host_wild(req, %s)", lit);
  return arena_printf(cg->a, "zs_host_is(req, %s)", lit);
}

static const char *match_method_one(struct cg *cg, const struct json *v)
{
  if (v->kind != JSON_STRING) {
    cg_refuse(cg, v, "method matcher value");
    return NULL;
  }
  return arena_printf(cg->a, "zs_method_is(req, %s)", cg_cstr(cg, v->text, v->len));
}

/* a list matcher: each value through one(), ORed */
static const char *match_list(struct cg *cg, const struct json *list, const char *name,
                              const char *(*one)(struct cg *, const struct json *))
{
  if (list->kind != JSON_ARRAY) {
    cg_refuse(cg, list, "%s matcher that is not a list", name);
    return NULL;
  }
  const char **parts = arena_alloc(cg->a, (list->count + 1) * sizeof *parts);
  for (size_t i = 0; i < list->count; i++)
    if (!(parts[i] = one(cg, list->items[i])))
      return NULL;
  return cond_join(cg, parts, list->count, true);
}

/* one allowed value of a header field: * as prefix/suffix/substring wildcard */
static const char *match_header_value(struct cg *cg, const char *field_lc, const struct json *v)
{
  if (v->kind != JSON_STRING || str_has(v, "{")) {
    cg_refuse(cg, v, "header matcher value '%s'", v->kind == JSON_STRING ? v->text : "?");
    return NULL;
  }
  const char *p = v->text, *kind = "ZS_STR_EXACT";
  size_t len = v->len;
  if (len == 1 && p[0] == '*')
    return arena_printf(cg->a, "zs_header_present(req, %s)", field_lc);
  if (len >= 2 && p[0] == '*' && p[len - 1] == '*')
    p++, len -= 2, kind = "ZS_STR_CONTAINS";
  else if (len >= 1 && p[0] == '*')
    p++, len--, kind = "ZS_STR_SUFFIX";
  else if (len >= 1 && p[len - 1] == '*')
    len--, kind = "ZS_STR_PREFIX";
  return arena_printf(cg->a, "zs_header_is(req, %s, %s, %s)", field_lc, cg_cstr(cg, p, len), kind);
}

/* header: every field must match; null means the field is absent, [] that
 * it is present with any value */
static const char *match_header_field(struct cg *cg, const char *field, const struct json *vals)
{
  size_t flen = strlen(field);
  const char *lc = cg_lower(cg, field, flen);
  if (strcmp(lc, "host") == 0 || strcmp(lc, "transfer-encoding") == 0 || strchr(field, '{')) {
    cg_refuse(cg, vals, "header matcher on field '%s'", field);
    return NULL;
  }
  const char *name = cg_cstr(cg, lc, flen);
  if (vals->kind == JSON_NULL)
    return arena_printf(cg->a, "!zs_header_present(req, %s)", name);
  if (vals->kind != JSON_ARRAY) {
    cg_refuse(cg, vals, "header matcher value for '%s'", field);
    return NULL;
  }
  if (vals->count == 0)
    return arena_printf(cg->a, "zs_header_present(req, %s)", name);
  const char **parts = arena_alloc(cg->a, vals->count * sizeof *parts);
  for (size_t i = 0; i < vals->count; i++)
    if (!(parts[i] = match_header_value(cg, name, vals->items[i])))
      return NULL;
  return cond_join(cg, parts, vals->count, true);
}

static const char *match_header(struct cg *cg, const struct json *obj)
{
  if (obj->kind != JSON_OBJECT) {
    cg_refuse(cg, obj, "header matcher that is not an object");
    return NULL;
  }
  const char **parts = arena_alloc(cg->a, (obj->count + 1) * sizeof *parts);
  for (size_t i = 0; i < obj->count; i++)
    if (!(parts[i] = match_header_field(cg, obj->members[i].key, obj->members[i].value)))
      return NULL;
  return cond_join(cg, parts, obj->count, false);
}

static const char *match_protocol(struct cg *cg, const struct json *v)
{
  const char *p = v->kind == JSON_STRING ? v->text : "";
  if (strcmp(p, "https") == 0)
    return "req->tls";
  if (strcmp(p, "http") == 0)
    return "!req->tls";
  cg_refuse(cg, v, "protocol matcher '%s'", p);
  return NULL;
}

static const char *match_sets(struct cg *cg, const struct json *sets);

/* not: true when none of its match sets matches */
static const char *match_not(struct cg *cg, const struct json *sets)
{
  const char *any = match_sets(cg, sets);
  if (!any)
    return NULL;
  if (strcmp(any, "") == 0)
    return "0";
  if (strcmp(any, "0") == 0)
    return "";
  return arena_printf(cg->a, any[0] == '(' ? "!%s" : "!(%s)", any);
}

static const char *match_field(struct cg *cg, const char *name, const struct json *v)
{
  if (strcmp(name, "path") == 0)
    return match_list(cg, v, name, match_path_one);
  if (strcmp(name, "host") == 0)
    return match_list(cg, v, name, match_host_one);
  if (strcmp(name, "method") == 0)
    return match_list(cg, v, name, match_method_one);
  if (strcmp(name, "header") == 0)
    return match_header(cg, v);
  if (strcmp(name, "protocol") == 0)
    return match_protocol(cg, v);
  if (strcmp(name, "not") == 0)
    return match_not(cg, v);
  cg_refuse(cg, v, "matcher '%s'", name);
  return NULL;
}

/* a match set: every matcher in it must match (an empty set matches) */
static const char *match_set(struct cg *cg, const struct json *set)
{
  if (set->kind != JSON_OBJECT) {
    cg_refuse(cg, set, "match set that is not an object");
    return NULL;
  }
  const char **parts = arena_alloc(cg->a, (set->count + 1) * sizeof *parts);
  bool failed = false;
  for (size_t i = 0; i < set->count; i++) {
    parts[i] = match_field(cg, set->members[i].key, set->members[i].value);
    failed |= !parts[i];
  }
  return failed ? NULL : cond_join(cg, parts, set->count, false);
}

/* match sets: any one matching is enough (no sets matches everything) */
static const char *match_sets(struct cg *cg, const struct json *sets)
{
  if (sets->kind != JSON_ARRAY) {
    cg_refuse(cg, sets, "match that is not a list of match sets");
    return NULL;
  }
  if (sets->count == 0)
    return "";
  const char **parts = arena_alloc(cg->a, sets->count * sizeof *parts);
  bool failed = false;
  for (size_t i = 0; i < sets->count; i++) {
    parts[i] = match_set(cg, sets->items[i]);
    failed |= !parts[i];
  }
  return failed ? NULL : cond_join(cg, parts, sets->count, true);
}

const char *match_route(struct cg *cg, const struct json *match)
{
  return match ? match_sets(cg, match) : "";
}
