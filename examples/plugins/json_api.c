/* A JSON API endpoint over a document given in the Caddyfile: GET
 * /users/<id> answers the user's record from it, other paths and methods
 * go on to the next handler.
 *
 *     ebpf /users/{id} json_api.c {  (any matcher; here: path /users/ and below)
 *         data `{"users": {"1": {"name": "Ada"}, "2": {"name": "Linus"}}}`
 *     }
 */
#include "zs_plugin.h"

#define DOC_MAX 8192

int zs_handle(struct zs_ctx *ctx)
{
  char *doc = ZS_HEAP, *out = ZS_HEAP + DOC_MAX, *body = out + DOC_MAX;
  char method[8], path[64] = "users.", field[64];
  if (zs_method(ctx, method, sizeof method) != 3 || method[0] != 'G' || method[1] != 'E' || method[2] != 'T')
    return ZS_NEXT;
  int plen = zs_path(ctx, field, sizeof field);
  if (plen <= 7 || plen > (int)sizeof field || !zs_bytes_eq(field, "/users/", 7))
    return ZS_NEXT;
  for (int i = 7; i < plen; i++)
    if (field[i] == '.' || field[i] == '/')
      return zs_respond(ctx, 400, "{\"error\":\"bad id\"}\n", 19);
  unsigned at = 6;
  zs_put(path, &at, sizeof path, field + 7, (unsigned)plen - 7);
  int dlen = zs_arg_named(ctx, "data", doc, DOC_MAX);
  if (dlen < 0 || dlen > DOC_MAX)
    return zs_respond(ctx, 500, "{\"error\":\"no data\"}\n", 20);
  long long n = zs_json(doc, dlen, path, at, out, DOC_MAX);
  zs_resp_header_set(ctx, "Content-Type", "application/json");
  if (n == -2 /* ENOENT */)
    return zs_respond(ctx, 404, "{\"error\":\"no such user\"}\n", 25);
  if (n < 0)
    return zs_respond(ctx, 500, "{\"error\":\"bad data\"}\n", 21);
  unsigned blen = 0;
  zs_put_lit(body, &blen, DOC_MAX, "{\"id\":\"");
  zs_put(body, &blen, DOC_MAX, field + 7, (unsigned)plen - 7);
  zs_put_lit(body, &blen, DOC_MAX, "\",\"user\":");
  zs_put(body, &blen, DOC_MAX, out, (unsigned)n);
  if (zs_put_lit(body, &blen, DOC_MAX, "}\n") < 0)
    return zs_respond(ctx, 500, "{\"error\":\"too big\"}\n", 20);
  return zs_respond(ctx, 200, body, blen);
}
