/* The Content-Type table of the blob, built on the compiling machine as Go's
 * mime package builds it in Caddy: Go's built-in types, then the shared MIME
 * database (globs2: the first entry of an extension wins, built-in ones stay)
 * or, when there is none, the mime.types files (later entries win); text/
 * types get "; charset=utf-8". Two tables as Go keeps them: by extension as
 * written, and lower-cased (the last entry wins). Not the lookup: runtime/files.c. */
#include <stdlib.h>
#include <string.h>

#include "cg.h"
#include "base/file.h"

struct mime_map {
  struct site_mime *rows;
  size_t count, cap;
};

static const char *const mime_globs[] = { "/usr/local/share/mime/globs2", "/usr/share/mime/globs2" };
static const char *const mime_type_files[] = { "/etc/mime.types", "/etc/apache2/mime.types",
                                               "/etc/apache/mime.types", "/etc/httpd/conf/mime.types" };

static struct site_mime *mime_find(struct mime_map *m, const char *ext)
{
  for (size_t i = 0; i < m->count; i++)
    if (!strcmp(m->rows[i].ext_str, ext))
      return &m->rows[i];
  return NULL;
}

static void mime_store(struct arena *a, struct mime_map *m, const char *ext, const char *type)
{
  struct site_mime *r = mime_find(m, ext);
  if (!r)
    r = ARENA_PUSH(a, m->rows, m->count, m->cap);
  *r = (struct site_mime){ .ext_str = ext, .type_str = type };
}

/* Go's setExtensionType: a type Go cannot parse is skipped; text/ types get
 * a charset (FormatMediaType lower-cases the type) */
static void mime_set(struct arena *a, struct mime_map *exact, struct mime_map *lower, const char *ext,
                     const char *type)
{
  const char *slash = strchr(type, '/');
  if (!slash || slash == type || !slash[1] || strpbrk(type, " \t;\"()<>@,:\\[]?="))
    return;
  if (!strncmp(type, "text/", 5)) {
    char *t = arena_printf(a, "%s; charset=utf-8", type);
    for (char *p = t; *p != ';'; p++)
      if (*p >= 'A' && *p <= 'Z')
        *p = (char)(*p - 'A' + 'a');
    type = t;
  }
  char *low = arena_printf(a, "%s", ext);
  for (char *p = low; *p; p++)
    if (*p >= 'A' && *p <= 'Z')
      *p = (char)(*p - 'A' + 'a');
  mime_store(a, exact, ext, type);
  mime_store(a, lower, low, type);
}

static char *mime_next_line(char **cursor)
{
  char *line = *cursor;
  if (!*line)
    return NULL;
  char *nl = strchr(line, '\n');
  *cursor = nl ? nl + 1 : line + strlen(line);
  if (nl)
    *nl = '\0';
  return line;
}

/* globs2: "weight:type:*.ext[:flags]"; globs other than a bare extension are skipped */
static void mime_load_globs(struct arena *a, char *text, struct mime_map *exact, struct mime_map *lower)
{
  for (char *line; (line = mime_next_line(&text)) != NULL;) {
    char *type = strchr(line, ':');
    char *glob = type ? strchr(type + 1, ':') : NULL;
    if (!glob || type == line || line[0] == '#')
      continue;
    *type++ = '\0';
    *glob++ = '\0';
    char *end = strchr(glob, ':');
    if (end)
      *end = '\0';
    if (strlen(glob) < 3 || glob[0] != '*' || glob[1] != '.' || strpbrk(glob + 1, "?*["))
      continue;
    if (!mime_find(exact, glob + 1))
      mime_set(a, exact, lower, arena_printf(a, "%s", glob + 1), arena_printf(a, "%s", type));
  }
}

/* mime.types: "type ext ext ..." with # comments */
static void mime_load_types(struct arena *a, char *text, struct mime_map *exact, struct mime_map *lower)
{
  for (char *line; (line = mime_next_line(&text)) != NULL;) {
    char *save = NULL, *type = strtok_r(line, " \t\r\f\v", &save);
    if (!type || type[0] == '#')
      continue;
    for (char *ext; (ext = strtok_r(NULL, " \t\r\f\v", &save)) != NULL && ext[0] != '#';)
      mime_set(a, exact, lower, arena_printf(a, ".%s", ext), arena_printf(a, "%s", type));
  }
}

static int mime_row_cmp(const void *x, const void *y)
{
  return strcmp(((const struct site_mime *)x)->ext_str, ((const struct site_mime *)y)->ext_str);
}

static void mime_builtin(struct arena *a, struct mime_map *exact, struct mime_map *lower)
{
  static const char *const builtin[][2] = {
    { ".avif", "image/avif" }, { ".css", "text/css" }, { ".gif", "image/gif" }, { ".htm", "text/html" },
    { ".html", "text/html" }, { ".jpeg", "image/jpeg" }, { ".jpg", "image/jpeg" },
    { ".js", "text/javascript" }, { ".json", "application/json" }, { ".mjs", "text/javascript" },
    { ".pdf", "application/pdf" }, { ".png", "image/png" }, { ".svg", "image/svg+xml" },
    { ".wasm", "application/wasm" }, { ".webp", "image/webp" }, { ".xml", "text/xml" },
  };
  for (size_t i = 0; i < sizeof builtin / sizeof builtin[0]; i++)
    mime_set(a, exact, lower, builtin[i][0], builtin[i][1]);
}

void config_mime(struct cg *cg)
{
  struct mime_map exact = { 0 }, lower = { 0 };
  mime_builtin(cg->a, &exact, &lower);
  char *text;
  size_t len;
  int globs = 0;
  for (size_t i = 0; !globs && i < sizeof mime_globs / sizeof mime_globs[0]; i++)
    if (file_read_all(cg->a, mime_globs[i], &text, &len) == 0) {
      mime_load_globs(cg->a, text, &exact, &lower);
      globs = 1;
    }
  for (size_t i = 0; !globs && i < sizeof mime_type_files / sizeof mime_type_files[0]; i++)
    if (file_read_all(cg->a, mime_type_files[i], &text, &len) == 0)
      mime_load_types(cg->a, text, &exact, &lower);
  qsort(exact.rows, exact.count, sizeof *exact.rows, mime_row_cmp);
  qsort(lower.rows, lower.count, sizeof *lower.rows, mime_row_cmp);
  for (size_t i = 0; i < exact.count + lower.count; i++) {
    struct site_mime *r = ARENA_PUSH(cg->a, cg->config->mimes, cg->config->mime_count, cg->config->mime_cap);
    *r = i < exact.count ? exact.rows[i] : lower.rows[i - exact.count];
    r->flags = i < exact.count ? 0 : ZS_MIME_LOWER;
  }
}
