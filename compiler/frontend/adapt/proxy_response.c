/* reverse_proxy's response handling: handle_response blocks parsed as
 * subroutes (after the main block, as Caddy's FinalizeUnmarshalCaddyfile),
 * and replace_status; the dynamic upstream sources are proxy_dynamic.c. */
#include <string.h>

#include "proxy.h"

int proxy_replace_status(struct helper *h, struct proxy *p)
{
  struct arena *a = h->ad->arena;
  int n;
  const char **args = disp_remaining_args(&h->d, &n);
  if (n != 1 && n != 2)
    return disp_errf(&h->d, "must have one or two arguments: an optional response matcher, and a status code");
  struct json *rh = jobj(a);
  if (n == 2) {
    if (args[0][0] != '@')
      return disp_errf(&h->d, "must use a named response matcher, starting with '@'");
    struct json *m = json_object_get(p->response_matchers, args[0]);
    if (!m)
      return disp_errf(&h->d, "no named response matcher defined with name '%s'", args[0] + 1);
    jset(a, rh, "match", m);
  }
  long long code;
  const char *c = args[n - 1];
  jset(a, rh, "status_code", go_atoi(c, &code) ? jint(a, code, disp_pos(&h->d)) : jstr(a, c, disp_pos(&h->d)));
  if (disp_next_block(&h->d, h->d.nesting))
    return disp_errf(&h->d, "cannot define routes for 'replace_status', use 'handle_response' instead.");
  jpush(a, jget_or_new(a, p->handler, "handle_response", JSON_ARRAY), rh);
  return 0;
}

static int proxy_handle_response(struct helper *h, struct proxy *p, struct dispenser *d)
{
  struct arena *a = h->ad->arena;
  disp_next(d);
  int n;
  const char **args = disp_remaining_args(d, &n);
  if (n > 1) {
    struct strbuf sb;
    strbuf_init(&sb, a);
    for (int i = 0; i < n; i++)
      strbuf_printf(&sb, "%s%s", i ? " " : "", args[i]);
    return disp_errf(d, "too many arguments for 'handle_response': only a single response matcher name is allowed, "
                     "but got: [%s]", strbuf_cstr(&sb));
  }
  struct json *rh = jobj(a);
  if (n == 1) {
    if (args[0][0] != '@')
      return disp_errf(d, "must use a named response matcher, starting with '@'");
    struct json *m = json_object_get(p->response_matchers, args[0]);
    if (!m)
      return disp_errf(d, "no named response matcher defined with name '%s'", args[0] + 1);
    jset(a, rh, "match", m);
  }
  struct helper sub = *h;
  sub.d = disp_next_segment(d);
  struct json *sr = segment_as_subroute(&sub, true);
  if (!sr)
    return -1;
  struct json *routes = json_object_get(sr, "routes");
  if (routes)
    jset(a, rh, "routes", routes);
  jpush(a, jget_or_new(a, p->handler, "handle_response", JSON_ARRAY), rh);
  return 0;
}

/* Entries without a matcher are catch-alls: they go last, in order. */
static void proxy_matchless_last(struct arena *a, struct json *list)
{
  struct json *sorted = jarr(a);
  for (int pass = 0; pass < 2; pass++)
    for (size_t i = 0; i < list->count; i++)
      if ((json_object_get(list->items[i], "match") != NULL) == (pass == 0))
        jpush(a, sorted, list->items[i]);
  if (list->count)
    memcpy(list->items, sorted->items, sizeof list->items[0] * list->count);
}

int proxy_handle_responses(struct helper *h, struct proxy *p)
{
  for (int i = 0; i < p->nhandle_response; i++)
    if (proxy_handle_response(h, p, &p->handle_response[i]) < 0)
      return -1;
  struct json *list = json_object_get(p->handler, "handle_response");
  if (list)
    proxy_matchless_last(h->ad->arena, list);
  return 0;
}
