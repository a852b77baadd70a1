/* JSON building helpers and Go value formatting for the adapter: Go's
 * strconv typing of Caddyfile scalars, caddy.ParseDuration to nanoseconds,
 * canonical MIME header keys, and the deep key sort of module objects. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/common/gojson.h"

static const struct srcpos no_pos;

struct json *jobj(struct arena *a) { return json_new(a, JSON_OBJECT, no_pos); }
struct json *jarr(struct arena *a) { return json_new(a, JSON_ARRAY, no_pos); }
struct json *jstr(struct arena *a, const char *s, struct srcpos pos) { return json_string(a, s, pos); }
struct json *jint(struct arena *a, long long v, struct srcpos pos) { return json_number_int(a, v, pos); }
struct json *jbool(struct arena *a, bool v) { return json_bool(a, v, no_pos); }
struct json *jnull(struct arena *a) { return json_new(a, JSON_NULL, no_pos); }
void jset(struct arena *a, struct json *obj, const char *key, struct json *v) { json_object_set(a, obj, key, v); }
void jpush(struct arena *a, struct json *arr, struct json *v) { json_array_push(a, arr, v); }

struct json *jget_or_new(struct arena *a, struct json *obj, const char *key, enum json_kind kind)
{
  struct json *v = json_object_get(obj, key);
  if (!v) {
    v = json_new(a, kind, no_pos);
    jset(a, obj, key, v);
  }
  return v;
}

struct json *jstrarr(struct arena *a, const char *const *items, int n, struct srcpos pos)
{
  struct json *arr = json_new(a, JSON_ARRAY, pos);
  for (int i = 0; i < n; i++)
    jpush(a, arr, jstr(a, items[i], pos));
  return arr;
}

/* What JSONModuleObject does by round-tripping through map[string]any. */
void json_sort_deep(struct json *v)
{
  if (!v)
    return;
  if (v->kind == JSON_OBJECT) {
    json_object_sort(v);
    for (size_t i = 0; i < v->count; i++)
      json_sort_deep(v->members[i].value);
  } else if (v->kind == JSON_ARRAY)
    for (size_t i = 0; i < v->count; i++)
      json_sort_deep(v->items[i]);
}

struct json *json_clone(struct arena *a, const struct json *v)
{
  struct json *c = json_new(a, v->kind, v->pos);
  c->boolean = v->boolean;
  c->text = v->text;
  c->len = v->len;
  c->origin = v->origin;
  for (size_t i = 0; v->kind == JSON_ARRAY && i < v->count; i++)
    jpush(a, c, json_clone(a, v->items[i]));
  for (size_t i = 0; v->kind == JSON_OBJECT && i < v->count; i++)
    jset(a, c, v->members[i].key, json_clone(a, v->members[i].value));
  return c;
}

void json_reorder(struct arena *a, struct json *obj, const char *const *order)
{
  if (!obj || obj->kind != JSON_OBJECT)
    return;
  struct json_member *m = arena_alloc(a, sizeof *m * (obj->count + 1));
  size_t n = 0;
  for (const char *const *k = order; *k; k++)
    for (size_t i = 0; i < obj->count; i++)
      if (obj->members[i].key && !strcmp(obj->members[i].key, *k)) {
        m[n++] = obj->members[i];
        obj->members[i].key = NULL;
      }
  for (size_t i = 0; i < obj->count; i++)
    if (obj->members[i].key)
      m[n++] = obj->members[i];
  if (n)
    memcpy(obj->members, m, sizeof *m * n);
}

bool go_atoi(const char *s, long long *out)
{
  const char *p = s;
  if (*p == '+' || *p == '-')
    p++;
  if (!*p)
    return false;
  for (const char *q = p; *q; q++)
    if (!isdigit((unsigned char)*q))
      return false;
  errno = 0;
  *out = strtoll(s, NULL, 10);
  return errno == 0;
}

static bool go_parse_float(const char *s)
{
  if (!*s || isspace((unsigned char)*s))
    return false;
  char *end;
  errno = 0;
  strtod(s, &end);
  if (*end || errno)
    return false;
  for (const char *p = s; *p; p++)   /* strtod takes hex and "nan"/"inf" forms Go spells differently */
    if (*p == 'x' || *p == 'X' || *p == 'p' || *p == 'P')
      return false;
  return true;
}

static bool go_parse_bool(const char *s, bool *out)
{
  static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
  static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};
  for (int i = 0; i < 6; i++) {
    if (strcmp(s, yes[i]) == 0)
      return *out = true, true;
    if (strcmp(s, no[i]) == 0)
      return *out = false, true;
  }
  return false;
}

struct json *go_scalar(struct arena *a, const struct token *t)
{
  struct srcpos pos = {t->file, t->line, t->col};
  long long n;
  bool b;
  if (t->quote)
    return jstr(a, t->text, pos);
  if (go_atoi(t->text, &n))
    return jint(a, n, pos);
  if (go_parse_float(t->text)) {
    struct json *v = json_new(a, JSON_NUMBER, pos);
    double d = strtod(t->text, NULL);
    char buf[64];
    if (d == floor(d) && fabs(d) < 1e21)
      snprintf(buf, sizeof buf, "%.0f", d);
    else
      snprintf(buf, sizeof buf, "%.17g", d);
    for (int prec = 1; prec <= 17 && !(d == floor(d) && fabs(d) < 1e21); prec++) {
      snprintf(buf, sizeof buf, "%.*g", prec, d);
      if (strtod(buf, NULL) == d)
        break;
    }
    v->text = arena_strdup(a, buf);
    return v;
  }
  if (go_parse_bool(t->text, &b)) {
    struct json *v = json_bool(a, b, pos);
    return v;
  }
  return jstr(a, t->text, pos);
}

struct json *go_duration_json(struct dispenser *d, const char *s)
{
  long long ns;
  if (go_parse_duration(s, &ns) < 0) {
    disp_errf(d, "parsing duration: time: invalid duration \"%s\"", s);
    return NULL;
  }
  return jint(d->arena, ns, disp_pos(d));
}

const char *go_canonical_header(struct arena *a, const char *name)
{
  char *s = arena_strdup(a, name);
  for (char *p = s; *p; p++)
    if (*p == ' ' || (unsigned char)*p >= 0x80 || !(isalnum((unsigned char)*p) || strchr("!#$%&'*+-.^_`|~", *p)))
      return name;
  bool upper = true;
  for (char *p = s; *p; p++) {
    *p = upper ? (char)toupper((unsigned char)*p) : (char)tolower((unsigned char)*p);
    upper = *p == '-';
  }
  return s;
}

int go_parse_size(const char *s, long long *out)
{
  static const struct { const char *u; double m; } units[] = {
    {"", 1}, {"b", 1}, {"kb", 1e3}, {"k", 1e3}, {"kib", 1024}, {"ki", 1024}, {"mb", 1e6}, {"m", 1e6},
    {"mib", 1048576}, {"mi", 1048576}, {"gb", 1e9}, {"g", 1e9}, {"gib", 1073741824.0}, {"gi", 1073741824.0},
    {"tb", 1e12}, {"t", 1e12}, {"tib", 1099511627776.0}, {"ti", 1099511627776.0},
  };
  char *end;
  double v = strtod(s, &end);
  if (end == s)
    return -1;
  while (*end == ' ')
    end++;
  for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
    if (strcasecmp(end, units[i].u) == 0) {
      *out = (long long)(v * units[i].m);
      return 0;
    }
  return -1;
}
