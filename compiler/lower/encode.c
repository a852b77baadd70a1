/* The encode handler to its record: the encoders (gzip, zstd: the standard
 * build's two), their levels, prefer, minimum_length and the response
 * matcher, with Caddy's provisioning defaults filled in. Not the runtime's
 * choice of an encoding: that is runtime/encode.c. */
#include <stdlib.h>
#include <string.h>

#include "lower_parts.h"

/* Caddy's default match: common text-based content types (encode.go Provision) */
static const char *const lower_encode_default_types[] = {
  "application/atom+xml*", "application/eot*", "application/font*", "application/geo+json*",
  "application/graphql+json*", "application/javascript*", "application/json*", "application/ld+json*",
  "application/manifest+json*", "application/opentype*", "application/otf*", "application/rss+xml*",
  "application/truetype*", "application/ttf*", "application/vnd.api+json*", "application/vnd.ms-fontobject*",
  "application/wasm*", "application/x-httpd-cgi*", "application/x-javascript*", "application/x-opentype*",
  "application/x-otf*", "application/x-perl*", "application/x-protobuf*", "application/x-ttf*",
  "application/xhtml+xml*", "application/xml*", "font/ttf*", "font/otf*", "image/svg+xml*",
  "image/vnd.microsoft.icon*", "image/x-icon*", "multipart/bag*", "multipart/mixed*", "text/*",
};

static int lower_gzip_level(struct lower *l, const struct json *v, void *record)
{
  struct lowered_encode *e = record;
  long long level = v->kind == JSON_NUMBER ? strtoll(v->text, NULL, 10) : -1;
  if (v->kind != JSON_NUMBER || level < 0 || level > 9) {
    /* Caddy: "quality too low; must be >= 0" / "quality too high; must be <= 9" */
    lower_refuse(l, v, "gzip level that is not 0 to 9");
    return -1;
  }
  e->gzip_level = level ? (unsigned)level : 5;
  return 0;
}

/* klauspost/compress's levels as libzstd levels, as its documentation pairs them */
static int lower_zstd_level(struct lower *l, const struct json *v, void *record)
{
  static const struct { const char *name; unsigned level; } levels[] = {
    {"fastest", 1}, {"default", 3}, {"better", 7}, {"best", 11},
  };
  struct lowered_encode *e = record;
  const char *s = lower_string(l, v, "zstd level");
  for (size_t i = 0; s && i < sizeof levels / sizeof levels[0]; i++)
    if (!strcmp(levels[i].name, s)) {
      e->zstd_level = levels[i].level;
      return 0;
    }
  if (s)
    lower_refuse(l, v, "zstd level '%s'", s);
  return -1;
}

static int lower_zstd_checksum(struct lower *l, const struct json *v, void *record)
{
  struct lowered_encode *e = record;
  bool on;
  if (lower_bool(l, v, "zstd checksum", &on) < 0)
    return -1;
  e->zstd_no_checksum = !on;
  return 0;
}

static const struct lower_key lower_gzip_keys[] = {{"level", NULL, lower_gzip_level}, {NULL, NULL, NULL}};
static const struct lower_key lower_zstd_keys[] = {
  {"level", "level", lower_zstd_level}, {"checksum", "disable_checksum", lower_zstd_checksum}, {NULL, NULL, NULL},
};

static int lower_encode_encodings(struct lower *l, const struct json *v, void *record)
{
  struct lowered_encode *e = record;
  if (v->kind != JSON_OBJECT) {
    lower_refuse(l, v, "encode encodings that are not an object");
    return -1;
  }
  int bad = 0;
  for (size_t i = 0; i < v->count; i++) {
    const char *name = v->members[i].key;
    const struct json *mod = v->members[i].value;
    if (!strcmp(name, "gzip")) {
      e->gzip = true;
      bad |= lower_object_keys(l, mod, lower_gzip_keys, "gzip encoder", e);
    } else if (!strcmp(name, "zstd")) {
      e->zstd = true;
      bad |= lower_object_keys(l, mod, lower_zstd_keys, "zstd encoder", e);
    } else {
      lower_refuse_module(l, mod, "encoder", name);
      bad = -1;
    }
  }
  return bad;
}

static int lower_encode_prefer(struct lower *l, const struct json *v, void *record)
{
  struct lowered_encode *e = record;
  if (!(e->prefer = lower_items(l, v, sizeof *e->prefer, "encode prefer that is not a list")))
    return -1;
  for (size_t i = 0; i < v->count; i++) {
    const char *s = lower_string(l, v->items[i], "encode prefer");
    if (!s)
      return -1;
    e->prefer[e->prefer_count++] = s;
  }
  return 0;
}

static int lower_encode_min(struct lower *l, const struct json *v, void *record)
{
  struct lowered_encode *e = record;
  long long n = v->kind == JSON_NUMBER ? strtoll(v->text, NULL, 10) : -1;
  if (n < 0 || n > 0x7fffffff || strpbrk(v->text ? v->text : "", ".eE")) {
    lower_refuse(l, v, "encode minimum_length that is not a number from 0");
    return -1;
  }
  e->min_length = n ? (unsigned)n : 512;
  return 0;
}

static int lower_encode_status(struct lower *l, const struct json *v, void *record)
{
  struct lowered_encode *e = record;
  if (!(e->statuses = lower_items(l, v, sizeof *e->statuses, "encode match status_code that is not a list")))
    return -1;
  for (size_t i = 0; i < v->count; i++) {
    const struct json *c = v->items[i];
    long long code = c->kind == JSON_NUMBER ? strtoll(c->text, NULL, 10) : -1;
    if (code < 1 || code > 999 || (code > 5 && code < 100)) {
      lower_refuse(l, c, "encode match status_code that is not a status or a class 1 to 5");
      return -1;
    }
    e->statuses[e->status_count++] = arena_printf(l->a, "%lld", code);
  }
  return 0;
}

/* one field of match headers: null (absent), [] (present), or values */
static int lower_encode_field(struct lower *l, struct lowered_encode *e, const char *name, const struct json *vals)
{
  const char *field = lower_header_name(l, name, vals);
  if (!field)
    return -1;
  if (vals->kind == JSON_NULL || (vals->kind == JSON_ARRAY && vals->count == 0)) {
    e->headers[e->header_count++] = arena_printf(l->a, "%s:%c", field, vals->kind == JSON_NULL ? 'a' : 'p');
    return 0;
  }
  if (vals->kind != JSON_ARRAY) {
    lower_refuse(l, vals, "encode match header values that are not a list");
    return -1;
  }
  for (size_t k = 0; k < vals->count; k++) {
    const char *s = lower_string(l, vals->items[k], "encode match header value");
    if (s && strpbrk(s, "{}")) {
      lower_refuse(l, vals->items[k], "placeholder in encode match header value");
      s = NULL;
    }
    if (!s)
      return -1;
    e->headers[e->header_count++] = arena_printf(l->a, "%s:v%s", field, s);
  }
  return 0;
}

static int lower_encode_headers(struct lower *l, const struct json *v, void *record)
{
  struct lowered_encode *e = record;
  if (v->kind != JSON_OBJECT) {
    lower_refuse(l, v, "encode match headers that are not an object");
    return -1;
  }
  size_t n = 0;
  for (size_t i = 0; i < v->count; i++)
    n += v->members[i].value->kind == JSON_ARRAY && v->members[i].value->count ? v->members[i].value->count : 1;
  e->headers = arena_alloc(l->a, (n + 1) * sizeof *e->headers);
  int bad = 0;
  for (size_t i = 0; i < v->count; i++)
    bad |= lower_encode_field(l, e, v->members[i].key, v->members[i].value);
  return bad;
}

static const struct lower_key lower_encode_match_keys[] = {
  {"status_code", "status", lower_encode_status}, {"headers", "header", lower_encode_headers}, {NULL, NULL, NULL},
};

static int lower_encode_match(struct lower *l, const struct json *v, void *record)
{
  struct lowered_encode *e = record;
  e->headers = arena_alloc(l->a, sizeof *e->headers);   /* an empty match matches every response */
  return lower_object_keys(l, v, lower_encode_match_keys, "encode match", record);
}

static const struct lower_key lower_encode_keys[] = {
  {"handler", NULL, NULL}, {"encodings", NULL, lower_encode_encodings}, {"prefer", NULL, lower_encode_prefer},
  {"minimum_length", "minimum_length", lower_encode_min}, {"match", "match", lower_encode_match},
  {NULL, NULL, NULL},
};

/* Caddy's Validate: every preferred encoding is enabled, none twice */
static int lower_encode_validate(struct lower *l, const struct json *h, const struct lowered_encode *e)
{
  for (size_t i = 0; i < e->prefer_count; i++) {
    const char *p = e->prefer[i];
    bool dup = false;
    for (size_t k = 0; k < i; k++)
      dup = dup || !strcmp(e->prefer[k], p);
    if (dup || !((!strcmp(p, "gzip") && e->gzip) || (!strcmp(p, "zstd") && e->zstd))) {
      lower_refuse(l, h, dup ? "encoding %s is duplicated in prefer" : "encoding %s not enabled", p);
      return -1;
    }
  }
  return 0;
}

int lower_encode(struct lower *l, const struct json *h, struct lowered_handler *out)
{
  struct lowered_encode *e = &out->u.encode;
  *e = (struct lowered_encode){.gzip_level = 5, .zstd_level = 3, .min_length = 512};
  if (lower_keys(l, h, lower_encode_keys, "encode", e) < 0 || lower_encode_validate(l, h, e) < 0)
    return -1;
  if (!e->headers) {
    size_t n = sizeof lower_encode_default_types / sizeof lower_encode_default_types[0];
    e->headers = arena_alloc(l->a, (n + 1) * sizeof *e->headers);
    for (size_t i = 0; i < n; i++)
      e->headers[e->header_count++] = arena_printf(l->a, "Content-Type:v%s", lower_encode_default_types[i]);
  }
  return 0;
}
