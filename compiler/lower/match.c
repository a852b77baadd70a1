/* Matchers to typed records, with Caddy's compile-time work done here: path
 * and host patterns lowercased and classified (exact, prefix, suffix,
 * substring, glob), header fields lowercased. Matchers zsc has no row for in
 * matchers.def, and values it cannot honour, are refused. */
#include <string.h>

#include "lower_parts.h"

static bool lower_has(const struct json *v, const char *needle)
{
  return memmem(v->text, v->len, needle, strlen(needle)) != NULL;
}

static size_t lower_count(const char *s, size_t len, char c)
{
  size_t n = 0;
  for (size_t i = 0; i < len; i++)
    n += s[i] == c;
  return n;
}

static char *lower_lowercase(struct lower *l, const char *s, size_t len)
{
  char *r = arena_strndup(l->a, s, len);
  for (size_t i = 0; i < len; i++)
    r[i] = (char)(r[i] >= 'A' && r[i] <= 'Z' ? r[i] - 'A' + 'a' : r[i]);
  return r;
}

/* Go's path.Match syntax: a bad pattern never matches there; we refuse it */
static bool lower_glob_valid(const char *p, size_t len)
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
static int lower_path_one(struct lower *l, const struct json *v, struct lowered_pattern *out)
{
  if (v->kind != JSON_STRING || lower_has(v, "{") || lower_has(v, "%")) {
    lower_refuse(l, v, "path matcher pattern '%s'", v->kind == JSON_STRING ? v->text : "?");
    return -1;
  }
  const char *p = lower_lowercase(l, v->text, v->len);
  size_t len = v->len, stars = lower_count(p, len, '*');
  out->keep_slashes = lower_has(v, "//");
  out->op = LOWERED_STR_GLOB;
  if (len == 1 && p[0] == '*')
    out->op = LOWERED_STR_ANY;
  else if (stars == 2 && p[0] == '*' && p[len - 1] == '*')
    p++, len -= 2, out->op = LOWERED_STR_CONTAINS;
  else if (stars == 1 && p[0] == '*')
    p++, len--, out->op = LOWERED_STR_SUFFIX;
  else if (stars == 1 && p[len - 1] == '*')
    len--, out->op = LOWERED_STR_PREFIX;
  else if (!strpbrk(p, "*?[\\"))
    out->op = LOWERED_STR_EXACT;
  else if (!lower_glob_valid(p, len)) {
    lower_refuse(l, v, "malformed path pattern '%s'", v->text);
    return -1;
  }
  out->text = p;
  out->len = len;
  return 0;
}

static int lower_host_one(struct lower *l, const struct json *v, struct lowered_pattern *out)
{
  if (v->kind != JSON_STRING || lower_has(v, "{")) {
    lower_refuse(l, v, "host matcher value '%s'", v->kind == JSON_STRING ? v->text : "?");
    return -1;
  }
  out->op = LOWERED_STR_EXACT;
  out->text = lower_lowercase(l, v->text, v->len);
  out->len = v->len;
  out->wild = lower_has(v, "*");
  return 0;
}

static int lower_method_one(struct lower *l, const struct json *v, struct lowered_pattern *out)
{
  if (v->kind != JSON_STRING) {
    lower_refuse(l, v, "method matcher value");
    return -1;
  }
  out->op = LOWERED_STR_EXACT;
  out->text = v->text;
  out->len = v->len;
  return 0;
}

/* a list matcher: each value through one() */
static int lower_list(struct lower *l, const struct json *list, const char *name, struct lowered_matcher *out,
                      int (*one)(struct lower *, const struct json *, struct lowered_pattern *))
{
  const char *refusal = arena_printf(l->a, "%s matcher that is not a list", name);
  if (!(out->patterns = lower_items(l, list, sizeof *out->patterns, refusal)))
    return -1;
  out->count = list->count;
  for (size_t i = 0; i < list->count; i++)
    if (one(l, list->items[i], &out->patterns[i]) < 0)
      return -1;
  return 0;
}

int lower_match_path(struct lower *l, const struct json *v, struct lowered_matcher *out)
{
  return lower_list(l, v, "path", out, lower_path_one);
}

int lower_match_host(struct lower *l, const struct json *v, struct lowered_matcher *out)
{
  return lower_list(l, v, "host", out, lower_host_one);
}

int lower_match_method(struct lower *l, const struct json *v, struct lowered_matcher *out)
{
  return lower_list(l, v, "method", out, lower_method_one);
}

/* one allowed value of a header field: * as prefix/suffix/substring wildcard */
static int lower_header_value(struct lower *l, const struct json *v, struct lowered_pattern *out)
{
  if (v->kind != JSON_STRING || lower_has(v, "{")) {
    lower_refuse(l, v, "header matcher value '%s'", v->kind == JSON_STRING ? v->text : "?");
    return -1;
  }
  const char *p = v->text;
  size_t len = v->len;
  out->op = LOWERED_STR_EXACT;
  if (len == 1 && p[0] == '*')
    out->op = LOWERED_STR_ANY;
  else if (len >= 2 && p[0] == '*' && p[len - 1] == '*')
    p++, len -= 2, out->op = LOWERED_STR_CONTAINS;
  else if (len >= 1 && p[0] == '*')
    p++, len--, out->op = LOWERED_STR_SUFFIX;
  else if (len >= 1 && p[len - 1] == '*')
    len--, out->op = LOWERED_STR_PREFIX;
  out->text = p;
  out->len = len;
  return 0;
}

/* one field: null means absent, [] present with any value */
static int lower_header_field(struct lower *l, const char *field, const struct json *vals,
                              struct lowered_header_field *out)
{
  size_t flen = strlen(field);
  const char *lc = lower_lowercase(l, field, flen);
  if (strcmp(lc, "host") == 0 || strcmp(lc, "transfer-encoding") == 0 || strchr(field, '{')) {
    lower_refuse(l, vals, "header matcher on field '%s'", field);
    return -1;
  }
  out->name = lc;
  if (vals->kind == JSON_NULL) {
    out->absent = true;
    return 0;
  }
  const char *refusal = arena_printf(l->a, "header matcher value for '%s'", field);
  if (!(out->values = lower_items(l, vals, sizeof *out->values, refusal)))
    return -1;
  out->present = vals->count == 0;
  out->count = vals->count;
  for (size_t i = 0; i < vals->count; i++)
    if (lower_header_value(l, vals->items[i], &out->values[i]) < 0)
      return -1;
  return 0;
}

int lower_match_header(struct lower *l, const struct json *obj, struct lowered_matcher *out)
{
  if (obj->kind != JSON_OBJECT) {
    lower_refuse(l, obj, "header matcher that is not an object");
    return -1;
  }
  out->fields = arena_alloc(l->a, (obj->count + 1) * sizeof *out->fields);
  out->field_count = obj->count;
  for (size_t i = 0; i < obj->count; i++)
    if (lower_header_field(l, obj->members[i].key, obj->members[i].value, &out->fields[i]) < 0)
      return -1;
  return 0;
}

/* the protocols Caddy's MatchProtocol knows; any other matches nothing there,
 * which is refused here as a likely mistake */
static const char *const lower_protocols[] = {
  "grpc", "https", "http", "http/1.0", "http/1.0+", "http/1.1", "http/1.1+", "http/2", "http/2+", "http/3", "http/3+",
  NULL,
};

int lower_match_protocol(struct lower *l, const struct json *v, struct lowered_matcher *out)
{
  const char *p = v->kind == JSON_STRING ? v->text : "";
  for (size_t i = 0; lower_protocols[i]; i++)
    if (strcmp(p, lower_protocols[i]) == 0) {
      out->protocol = lower_protocols[i];
      return 0;
    }
  lower_refuse(l, v, "protocol matcher '%s'", p);
  return -1;
}

static int lower_tls_handshake(struct lower *l, const struct json *v, void *record)
{
  struct lowered_matcher *m = record;
  bool complete = true;
  int rc = lower_bool(l, v, "tls matcher handshake_complete", &complete);
  m->early_data = !complete;
  return rc;
}

static const struct lower_key lower_tls_match_keys[] = {
  {"handshake_complete", NULL, lower_tls_handshake}, {NULL, NULL, NULL},
};

/* tls [early_data]: a TLS connection (whose handshake is or is not complete) */
int lower_match_tls(struct lower *l, const struct json *v, struct lowered_matcher *out)
{
  return lower_object_keys(l, v, lower_tls_match_keys, "tls matcher", out);
}

static int lower_sets(struct lower *l, const struct json *sets, struct lowered_match **out, size_t *count);

int lower_match_not(struct lower *l, const struct json *v, struct lowered_matcher *out)
{
  return lower_sets(l, v, &out->sets, &out->set_count);
}

static const struct lower_matcher_row {
  enum lowered_matcher_kind kind;
  const char *module;
  int (*fn)(struct lower *, const struct json *, struct lowered_matcher *);
} lower_matcher_rows[] = {
#define LOWER_MATCHER(kind, module, caddyfile, lower_fn, codegen_fn) {LOWERED_MATCH_##kind, module, lower_fn},
#include "matchers.def"
#undef LOWER_MATCHER
};

static int lower_matcher(struct lower *l, const char *name, const struct json *v, struct lowered_matcher *out)
{
  out->pos = lower_pos(l, v);
  for (size_t i = 0; i < sizeof lower_matcher_rows / sizeof lower_matcher_rows[0]; i++)
    if (strcmp(lower_matcher_rows[i].module, name) == 0) {
      out->kind = lower_matcher_rows[i].kind;
      return lower_matcher_rows[i].fn(l, v, out);
    }
  lower_refuse_matcher(l, v, name);
  return -1;
}

int lower_matcher_module(struct lower *l, const char *module, const struct json *v, struct lowered_matcher *out)
{
  return lower_matcher(l, module, v, out);
}

/* a match set: every matcher in it must match (an empty set matches) */
static int lower_set(struct lower *l, const struct json *set, struct lowered_match *out)
{
  if (set->kind != JSON_OBJECT) {
    lower_refuse(l, set, "match set that is not an object");
    return -1;
  }
  out->pos = lower_pos(l, set);
  out->matchers = arena_alloc(l->a, (set->count + 1) * sizeof *out->matchers);
  out->count = set->count;
  int bad = 0;
  for (size_t i = 0; i < set->count; i++)
    bad |= lower_matcher(l, set->members[i].key, set->members[i].value, &out->matchers[i]);
  return bad;
}

/* match sets: any one matching is enough (no sets matches everything) */
static int lower_sets(struct lower *l, const struct json *sets, struct lowered_match **out, size_t *count)
{
  if (!(*out = lower_items(l, sets, sizeof **out, "match that is not a list of match sets")))
    return -1;
  *count = sets->count;
  int bad = 0;
  for (size_t i = 0; i < sets->count; i++)
    bad |= lower_set(l, sets->items[i], &(*out)[i]);
  return bad;
}

int lower_match(struct lower *l, const struct json *match, struct lowered_route *route)
{
  route->has_match = true;
  return lower_sets(l, match, &route->sets, &route->set_count);
}
