/* JSON building and Go value semantics shared by the adapters: Caddy's JSON
 * is built with these, scalars typed as Go's strconv does, durations and
 * sizes as Caddy parses them, keys in Go's struct order. Knows tokens and
 * the dispenser (for errors), nothing of directives. */
#ifndef ZSC_FRONTEND_COMMON_GOJSON_H
#define ZSC_FRONTEND_COMMON_GOJSON_H

#include "base/duration.h"
#include "base/json.h"
#include "frontend/caddyfile/dispenser.h"

struct json *jobj(struct arena *a);
struct json *jarr(struct arena *a);
struct json *jstr(struct arena *a, const char *s, struct srcpos pos);
struct json *jint(struct arena *a, long long v, struct srcpos pos);
struct json *jbool(struct arena *a, bool v);
struct json *jnull(struct arena *a);
void jset(struct arena *a, struct json *obj, const char *key, struct json *v);
void jpush(struct arena *a, struct json *arr, struct json *v);
struct json *jget_or_new(struct arena *a, struct json *obj, const char *key, enum json_kind kind);
struct json *jstrarr(struct arena *a, const char *const *items, int n, struct srcpos pos);
void json_sort_deep(struct json *v);
struct json *json_clone(struct arena *a, const struct json *v);
/* Moves the listed keys (NULL-terminated) to the front in that order (Go struct field order). */
void json_reorder(struct arena *a, struct json *obj, const char *const *order);
/* Go's strconv-style typing of an unquoted token (ScalarVal). */
struct json *go_scalar(struct arena *a, const struct token *t);
/* caddy.ParseDuration ("1d" allowed) to nanoseconds; -1 on a bad duration. */
bool go_atoi(const char *s, long long *out);
/* s as nanoseconds at d's cursor; NULL with Caddy's error at the cursor. */
struct json *go_duration_json(struct dispenser *d, const char *s);
const char *go_canonical_header(struct arena *a, const char *name);
int go_parse_size(const char *s, long long *out);                 /* humanize.ParseBytes */

#endif
