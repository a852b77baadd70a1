/* frontend_load: Caddy JSON is taken as is; a Caddyfile is parsed and
 * adapted. The one place where front-end errors become diagnostics. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "frontend/adapt/adapt.h"
#include "frontend.h"
#include "base/file.h"

int frontend_read_file(struct arena *a, const char *path, char **text, size_t *len, struct diag *d)
{
  int rc = file_read_all(a, path, text, len);
  if (rc < 0)
    diag_error(d, (struct srcpos){path, 0, 0}, "reading input file: open %s: %s", path, strerror(-rc));
  return rc < 0 ? -1 : 0;
}

static bool frontend_looks_like_json(const char *text, size_t len)
{
  size_t i = 0;
  while (i < len && isspace((unsigned char)text[i]))
    i++;
  return i < len && text[i] == '{';
}

/* Caddy names the place in its messages, as a "FILE:LINE: " prefix or an
 * ", at FILE:LINE" suffix (with the import chain after it). The diagnostic
 * prints the position itself, with the caret under the token, so Caddy's own
 * places in that file go (its line is sometimes the block's end rather than
 * the token's): one location per error. */
static const char *frontend_drop_position(struct arena *a, const char *msg, struct srcpos pos)
{
  if (!pos.file || pos.line <= 0)
    return msg;
  const char *prefix = arena_printf(a, "%s:%d: ", pos.file, pos.line);
  if (strncmp(msg, prefix, strlen(prefix)) == 0)
    msg += strlen(prefix);
  const char *at = arena_printf(a, ", at %s:", pos.file), *chain = " import chain [";
  size_t at_len = strlen(at), chain_len = strlen(chain);
  struct strbuf sb;
  strbuf_init(&sb, a);
  for (const char *p = msg; *p;) {
    const char *hit = strstr(p, at);
    if (!hit || !isdigit((unsigned char)hit[at_len])) {
      strbuf_puts(&sb, p);
      break;
    }
    strbuf_put(&sb, p, (size_t)(hit - p));
    for (p = hit + at_len; isdigit((unsigned char)*p); p++)
      ;
    if (strncmp(p, chain, chain_len) == 0) {
      const char *close = strchr(p, ']');
      size_t n = close ? (size_t)(close + 1 - p) : strlen(p);
      strbuf_printf(&sb, " (import chain [%.*s)", (int)(n - chain_len), p + chain_len);
      p += n;
    }
  }
  return strbuf_cstr(&sb);
}

/* caddy_wording: the message exactly as `caddy adapt` words it, places
 * included, after "zsc: error: " (zsc adapt --caddy-errors, for comparing). */
static struct json *frontend_report(struct frontend_error *e, struct diag *d, const char *file, bool caddy_wording)
{
  struct srcpos pos = e->pos;
  if (!pos.file)
    pos.file = file;
  if (caddy_wording)
    diag_error(d, (struct srcpos){0}, "%s", e->msg);
  else
    diag_error(d, pos, "%s", frontend_drop_position(e->arena, e->msg, pos));
  return NULL;
}

static struct json *frontend_load_as(struct arena *a, const char *file, const char *text, size_t len, struct diag *d,
                                     bool caddy_wording)
{
  if (frontend_looks_like_json(text, len)) {
    FILE *sink = fopen("/dev/null", "w");
    struct diag quiet;
    diag_init(&quiet, sink ? sink : d->out);
    struct json *v = json_parse(a, text, len, file, &quiet);
    if (sink)
      fclose(sink);
    if (v)
      return v;
  }
  struct frontend_error err = {.arena = a};
  struct block_list blocks = {0};
  if (parser_parse_file(a, file, text, len, &blocks, &err) < 0)
    return frontend_report(&err, d, file, caddy_wording);
  struct adapt ad = {.arena = a, .err = &err};
  struct json *ir = httptype_setup(&ad, &blocks);
  if (!ir)
    return frontend_report(&err, d, file, caddy_wording);
  return ir;
}

struct json *frontend_load_text(struct arena *a, const char *file, const char *text, size_t len, struct diag *d)
{
  return frontend_load_as(a, file, text, len, d, false);
}

static struct json *frontend_load_file(struct arena *a, const char *path, struct diag *d, bool caddy_wording)
{
  char *text;
  size_t len;
  if (frontend_read_file(a, path, &text, &len, d) < 0)
    return NULL;
  return frontend_load_as(a, path, text, len, d, caddy_wording);
}

struct json *frontend_load(struct arena *a, const char *path, struct diag *d)
{
  return frontend_load_file(a, path, d, false);
}

struct json *frontend_load_caddy(struct arena *a, const char *path, struct diag *d)
{
  return frontend_load_file(a, path, d, true);
}
