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

static struct json *frontend_report(struct frontend_error *e, struct diag *d, const char *file)
{
  struct srcpos pos = e->pos;
  if (!pos.file)
    pos.file = file;
  diag_error(d, pos, "%s", e->msg);
  return NULL;
}

struct json *frontend_load_text(struct arena *a, const char *file, const char *text, size_t len, struct diag *d)
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
    return frontend_report(&err, d, file);
  struct adapt ad = {.arena = a, .err = &err};
  struct json *ir = httptype_setup(&ad, &blocks);
  if (!ir)
    return frontend_report(&err, d, file);
  return ir;
}

struct json *frontend_load(struct arena *a, const char *path, struct diag *d)
{
  char *text;
  size_t len;
  if (frontend_read_file(a, path, &text, &len, d) < 0)
    return NULL;
  return frontend_load_text(a, path, text, len, d);
}
