/* Small handlers that set variables or request limits: vars, log_skip,
 * log_name, request_body, and the bind directive (a listener value). */
#include <string.h>

#include "adapt.h"

static struct json *vars_handler(struct helper *h)
{
  struct json *r = jobj(h->ad->arena);
  jset(h->ad->arena, r, "handler", jstr(h->ad->arena, "vars", disp_pos(&h->d)));
  return r;
}

/* name value, on the directive line (optional) or one per block line */
static int vars_next(struct helper *h, struct json *r, bool header_line)
{
  if (header_line && !disp_next_arg(&h->d))
    return 0;
  const char *name = disp_val(&h->d);
  if (!disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  jset(h->ad->arena, r, name, go_scalar(h->ad->arena, disp_token(&h->d)));
  if (disp_next_arg(&h->d))
    return disp_arg_err(&h->d);
  return 0;
}

struct json *adapt_vars(struct helper *h)
{
  struct json *r = vars_handler(h);
  while (disp_next(&h->d)) {
    if (vars_next(h, r, true) < 0)
      return NULL;
    while (disp_next_block(&h->d, 0))
      if (vars_next(h, r, false) < 0)
        return NULL;
  }
  return r;
}

struct json *adapt_log_skip(struct helper *h)
{
  disp_next(&h->d);
  if (disp_next_arg(&h->d)) {
    disp_arg_err(&h->d);
    return NULL;
  }
  struct json *r = vars_handler(h);
  jset(h->ad->arena, r, "log_skip", jbool(h->ad->arena, true));
  return r;
}

struct json *adapt_log_name(struct helper *h)
{
  disp_next(&h->d);
  int n;
  const char **names = disp_remaining_args(&h->d, &n);
  struct json *r = vars_handler(h);
  jset(h->ad->arena, r, "access_logger_names", jstrarr(h->ad->arena, names, n, disp_pos(&h->d)));
  return r;
}

struct json *adapt_request_body(struct helper *h)
{
  struct arena *a = h->ad->arena;
  struct json *r = jobj(a);
  jset(a, r, "handler", jstr(a, "request_body", disp_pos(&h->d)));
  disp_next(&h->d);
  while (disp_next_block(&h->d, 0)) {
    const char *sub = disp_val(&h->d), *v;
    if (!disp_all_args(&h->d, 1, &v)) {
      disp_arg_err(&h->d);
      return NULL;
    }
    if (!strcmp(sub, "max_size")) {
      long long size;
      if (go_parse_size(v, &size) < 0) {
        disp_errf(&h->d, "parsing max_size: %s", v);
        return NULL;
      }
      jset(a, r, "max_size", jint(a, size, disp_pos(&h->d)));
    } else if (!strcmp(sub, "read_timeout") || !strcmp(sub, "write_timeout")) {
      struct json *d = go_duration_json(&h->d, v);
      if (!d)
        return NULL;
      jset(a, r, sub, d);
    } else if (!strcmp(sub, "set")) {
      jset(a, r, "set", jstr(a, v, disp_pos(&h->d)));
    } else {
      disp_errf(&h->d, "unrecognized request_body subdirective '%s'", sub);
      return NULL;
    }
  }
  return r;
}

/* bind <addresses...> { protocols ... } */
int adapt_bind(struct helper *h, struct config_values *out)
{
  struct arena *a = h->ad->arena;
  disp_next(&h->d);
  int n;
  const char **addrs = disp_remaining_args(&h->d, &n);
  struct json *v = jobj(a);
  jset(a, v, "addresses", jstrarr(a, addrs, n, disp_pos(&h->d)));
  while (disp_next_block(&h->d, 0)) {
    if (strcmp(disp_val(&h->d), "protocols"))
      return disp_errf(&h->d, "unknown subdirective: %s", disp_val(&h->d));
    const char **prots = disp_remaining_args(&h->d, &n);
    if (!n)
      return disp_errf(&h->d, "protocols requires one or more arguments");
    jset(a, v, "protocols", jstrarr(a, prots, n, disp_pos(&h->d)));
  }
  values_push(h, out, "bind", v);
  return 0;
}

/* metrics [matcher] { disable_openmetrics } */
struct json *adapt_metrics(struct helper *h)
{
  struct json *r = vars_handler(h);
  jset(h->ad->arena, r, "handler", jstr(h->ad->arena, "metrics", disp_pos(&h->d)));
  disp_next(&h->d);
  if (disp_next_arg(&h->d)) {
    disp_arg_err(&h->d);
    return NULL;
  }
  while (disp_next_block(&h->d, 0)) {
    if (strcmp(disp_val(&h->d), "disable_openmetrics")) {
      disp_errf(&h->d, "unrecognized subdirective %s", disp_val(&h->d));
      return NULL;
    }
    jset(h->ad->arena, r, "disable_openmetrics", jbool(h->ad->arena, true));
  }
  return r;
}

/* tracing [matcher] { span NAME } */
struct json *adapt_tracing(struct helper *h)
{
  struct json *r = vars_handler(h);
  jset(h->ad->arena, r, "handler", jstr(h->ad->arena, "tracing", disp_pos(&h->d)));
  disp_next(&h->d);
  if (disp_next_arg(&h->d)) {
    disp_arg_err(&h->d);
    return NULL;
  }
  while (disp_next_block(&h->d, 0)) {
    if (strcmp(disp_val(&h->d), "span") || !disp_next_arg(&h->d)) {
      disp_errf(&h->d, "unrecognized subdirective %s", disp_val(&h->d));
      return NULL;
    }
    jset(h->ad->arena, r, "span", jstr(h->ad->arena, disp_val(&h->d), disp_pos(&h->d)));
  }
  return r;
}
