/* Static responses: respond, error, abort and redir (Caddy's staticresp.go,
 * staticerror.go and builtins.go parseRedir). */
#include <stdio.h>
#include <string.h>

#include "adapt.h"

/* WeakString: numbers print as numbers. */
static struct json *weak_string(struct arena *a, const char *s, struct srcpos pos)
{
  long long n;
  if (go_atoi(s, &n) && s[0] != '+')
    return jint(a, n, pos);
  return jstr(a, s, pos);
}

static bool is_status3(const char *s)
{
  long long n;
  return strlen(s) == 3 && go_atoi(s, &n) && n > 0;
}

/* respond|error [matcher] <status|body> [status] { body|message ..., close } */
static struct json *static_parse(struct helper *h, const char *handler, const char *text_key, const char *sub)
{
  struct arena *a = h->ad->arena;
  struct json *r = jobj(a);
  jset(a, r, "handler", jstr(a, handler, disp_pos(&h->d)));
  disp_next(&h->d);
  int n;
  const char **args = disp_remaining_args(&h->d, &n);
  struct srcpos pos = disp_pos(&h->d);
  bool have_text = false;
  if (n == 1 && is_status3(args[0]))
    jset(a, r, "status_code", weak_string(a, args[0], pos));
  else if (n == 1 || n == 2) {
    if (*args[0]) {
      jset(a, r, text_key, jstr(a, args[0], pos));
      have_text = true;
    }
    if (n == 2)
      jset(a, r, "status_code", weak_string(a, args[1], pos));
  } else if (n != 0 || strcmp(handler, "static_response")) {
    disp_arg_err(&h->d);
    return NULL;
  }
  while (disp_next_block(&h->d, 0)) {
    const char *v = disp_val(&h->d);
    if (!strcmp(v, sub)) {
      if (have_text) {
        disp_errf(&h->d, "%s already specified", sub);
        return NULL;
      }
      const char *text;
      if (!disp_all_args(&h->d, 1, &text)) {
        disp_arg_err(&h->d);
        return NULL;
      }
      jset(a, r, text_key, jstr(a, text, disp_pos(&h->d)));
      have_text = true;
    } else if (!strcmp(v, "close") && !strcmp(handler, "static_response")) {
      if (json_object_get(r, "close")) {
        disp_errf(&h->d, "close already specified");
        return NULL;
      }
      jset(a, r, "close", jbool(a, true));
    } else {
      disp_errf(&h->d, "unrecognized subdirective '%s'", v);
      return NULL;
    }
  }
  return r;
}

struct json *adapt_respond(struct helper *h)
{
  return static_parse(h, "static_response", "body", "body");
}

struct json *adapt_error(struct helper *h)
{
  return static_parse(h, "error", "error", "message");
}

struct json *adapt_abort(struct helper *h)
{
  disp_next(&h->d);
  while (disp_next(&h->d) || disp_next_block(&h->d, 0)) {
    disp_arg_err(&h->d);
    return NULL;
  }
  struct json *r = jobj(h->ad->arena);
  jset(h->ad->arena, r, "abort", jbool(h->ad->arena, true));
  jset(h->ad->arena, r, "handler", jstr(h->ad->arena, "static_response", disp_pos(&h->d)));
  return r;
}

static const char *html_escape(struct arena *a, const char *s)
{
  struct strbuf sb;
  strbuf_init(&sb, a);
  for (; *s; s++) {
    switch (*s) {
    case '<': strbuf_puts(&sb, "&lt;"); break;
    case '>': strbuf_puts(&sb, "&gt;"); break;
    case '&': strbuf_puts(&sb, "&amp;"); break;
    case '\'': strbuf_puts(&sb, "&#39;"); break;
    case '"': strbuf_puts(&sb, "&#34;"); break;
    default: strbuf_putc(&sb, *s);
    }
  }
  return arena_strdup(a, strbuf_cstr(&sb));
}

static struct json *header_list(struct arena *a, const char *name, const char *value, struct srcpos pos)
{
  struct json *hdr = jobj(a), *list = jarr(a);
  jpush(a, list, jstr(a, value, pos));
  jset(a, hdr, name, list);
  return hdr;
}

/* redir [matcher] <to> [permanent|temporary|html|code] */
struct json *adapt_redir(struct helper *h)
{
  struct arena *a = h->ad->arena;
  disp_next(&h->d);
  if (!disp_next_arg(&h->d)) {
    disp_arg_err(&h->d);
    return NULL;
  }
  struct srcpos pos = disp_pos(&h->d);
  const char *to = disp_val(&h->d), *code = "";
  if (disp_next_arg(&h->d))
    code = disp_val(&h->d);
  struct json *r = jobj(a);
  jset(a, r, "handler", jstr(a, "static_response", pos));
  if (!strcmp(code, "permanent"))
    code = "301";
  else if (!strcmp(code, "temporary") || !*code)
    code = "302";
  else if (!strcmp(code, "html")) {
    const char *t = html_escape(a, to);
    jset(a, r, "body", jstr(a, arena_printf(a, "<!DOCTYPE html>\n<html>\n\t<head>\n\t\t<title>Redirecting...</title>\n"
                                            "\t\t<script>window.location.replace(\"%s\");</script>\n"
                                            "\t\t<meta http-equiv=\"refresh\" content=\"0; URL='%s'\">\n\t</head>\n"
                                            "\t<body>Redirecting to <a href=\"%s\">%s</a>...</body>\n</html>\n",
                                            t, t, t, t), pos));
    jset(a, r, "headers", header_list(a, "Content-Type", "text/html; charset=utf-8", pos));
    code = "200";
  } else if (code[0] != '{') {
    long long n;
    if (!go_atoi(code, &n)) {
      disp_errf(&h->d, "Not a supported redir code type or not valid integer: '%s'", code);
      return NULL;
    }
    if (n < 300 || (n > 399 && n != 401)) {
      disp_errf(&h->d, "Redir code not in the 3xx range or 401: '%lld'", n);
      return NULL;
    }
  }
  if (strcmp(code, "200"))
    jset(a, r, "headers", header_list(a, "Location", to, pos));
  jset(a, r, "status_code", weak_string(a, code, pos));
  return r;
}
