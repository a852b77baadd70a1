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

/* Some of Caddy's messages open with "FILE:LINE: ". The diagnostic prints
 * the position itself (and the caret under it), so that prefix goes when it
 * names the same place; zsc adapt keeps Caddy's message whole. */
static const char *frontend_drop_position(struct arena *a, const char *msg, struct srcpos pos)
{
  if (!pos.file || pos.line <= 0)
    return msg;
  const char *prefix = arena_printf(a, "%s:%d: ", pos.file, pos.line);
  size_t n = strlen(prefix);
  return strncmp(msg, prefix, n) == 0 ? msg + n : msg;
}

static struct json *frontend_report(struct frontend_error *e, struct diag *d, const char *file, bool caddy_wording)
{
  struct srcpos pos = e->pos;
  if (!pos.file)
    pos.file = file;
  diag_error(d, pos, "%s", caddy_wording ? e->msg : frontend_drop_position(e->arena, e->msg, pos));
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
