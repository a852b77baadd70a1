/* JSON values: the IR. zsc's IR is Caddy's own config model (apps.http.servers,
 * routes, match sets, handlers, ...) held as a JSON tree whose nodes carry the
 * source position they were adapted from, so later stages can point back at
 * the Caddyfile. Objects keep insertion order; the writer reproduces Go's
 * encoding/json output (compact, then json.Indent with a tab). */
#ifndef ZSC_JSON_H
#define ZSC_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "diag.h"
#include "strbuf.h"

enum json_kind { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json_member;

struct json {
  enum json_kind kind;
  struct srcpos pos;           /* where this value came from; line 0 when synthetic */
  struct srcpos origin;        /* objects: the Caddyfile directive token that produced
                                  them (set by the adapter), line 0 when none */
  bool boolean;
  const char *text;            /* JSON_NUMBER: the number as written; JSON_STRING: the bytes */
  size_t len;                  /* JSON_STRING: byte length (strings may hold NUL) */
  struct json **items;         /* JSON_ARRAY */
  struct json_member *members; /* JSON_OBJECT, in insertion order */
  size_t count, cap;
};

struct json_member {
  const char *key;
  struct json *value;
};

struct json *json_new(struct arena *a, enum json_kind kind, struct srcpos pos);
struct json *json_string(struct arena *a, const char *s, struct srcpos pos);
struct json *json_stringn(struct arena *a, const char *s, size_t len, struct srcpos pos);
struct json *json_number_int(struct arena *a, long long v, struct srcpos pos);
struct json *json_bool(struct arena *a, bool v, struct srcpos pos);

void json_array_push(struct arena *a, struct json *arr, struct json *v);
/* sets key (replacing an existing member in place) */
void json_object_set(struct arena *a, struct json *obj, const char *key, struct json *v);
struct json *json_object_get(const struct json *obj, const char *key);  /* NULL if absent */
bool json_object_delete(struct json *obj, const char *key);
/* sort members by key, as Go does for maps and module objects */
void json_object_sort(struct json *obj);

bool json_equal(const struct json *x, const struct json *y);   /* deep, order-sensitive */
long long json_int(const struct json *v, long long fallback);  /* a JSON_NUMBER as integer */
const char *json_str(const struct json *v);                     /* a JSON_STRING's bytes or NULL */

/* Parse JSON text (RFC 8259). On error reports file:line:col to diag and
 * returns NULL. Positions of values point into the text. */
struct json *json_parse(struct arena *a, const char *text, size_t len, const char *file, struct diag *d);

/* Go's json.Marshal + json.Indent(prefix "", indent "\t"): escapes <, >, &,
 * U+2028 and U+2029; empty {} and [] stay compact. indent=false: compact. */
void json_write(struct strbuf *out, const struct json *v, bool indent);

#endif
