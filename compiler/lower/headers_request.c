/* The headers handler's request ops (request_header, header ops on the
 * request in routes): add, set and delete as Caddy's ApplyToRequest does
 * them to the request itself, which later handlers and an upstream see.
 * The response side and reverse_proxy's header_up are handlers.c's. */
#include <string.h>
#include <strings.h>

#include "lower_parts.h"

/* Fields the runtime keeps apart from the header list: Caddy's ApplyToRequest
 * moves Host into r.Host, and Go frames a body by r.ContentLength and
 * r.TransferEncoding, not by the fields an op edits */
static const char *const request_fields_apart[] = {"Host", "Content-Length", "Transfer-Encoding"};

static int request_field_apart(struct lower *l, const char *name, const struct json *at)
{
  for (size_t i = 0; i < sizeof request_fields_apart / sizeof request_fields_apart[0]; i++)
    if (strcasecmp(name, request_fields_apart[i]) == 0) {
      lower_refuse(l, at, "request header op on '%s'", request_fields_apart[i]);
      return -1;
    }
  return 0;
}

/* names of an add/set object, or of a delete list */
static int request_fields_check(struct lower *l, const struct json *v)
{
  int bad = 0;
  if (v->kind == JSON_OBJECT)
    for (size_t i = 0; i < v->count; i++)
      bad |= request_field_apart(l, v->members[i].key, v->members[i].value);
  if (v->kind == JSON_ARRAY)
    for (size_t i = 0; i < v->count; i++)
      if (v->items[i]->kind == JSON_STRING)
        bad |= request_field_apart(l, json_str(v->items[i]), v->items[i]);
  return bad;
}

static int request_add(struct lower *l, const struct json *v, void *record)
{
  return request_fields_check(l, v) < 0 ? -1 : lower_headers_add(l, v, record);
}

static int request_set(struct lower *l, const struct json *v, void *record)
{
  return request_fields_check(l, v) < 0 ? -1 : lower_headers_set(l, v, record);
}

static int request_delete(struct lower *l, const struct json *v, void *record)
{
  return request_fields_check(l, v) < 0 ? -1 : lower_headers_delete(l, v, record);
}

static const struct lower_key lower_headers_request_keys[] = {
  {"add", NULL, request_add}, {"set", NULL, request_set}, {"delete", NULL, request_delete},
  {"replace", NULL, lower_key_refused}, {NULL, NULL, NULL},
};

int lower_headers_request(struct lower *l, const struct json *v, void *record)
{
  struct lowered_headers *h = record;
  h->request = arena_alloc(l->a, sizeof *h->request);
  return lower_object_keys(l, v, lower_headers_request_keys, "headers request", h->request);
}
