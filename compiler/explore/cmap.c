/* The eBPF C's #line map: every generated C line's presumed (file, line), so
 * that BPF line info, which clang writes from those, leads back to the C line
 * and, through the codegen's `#line N "Caddyfile"`, to the Caddyfile. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "explore_parts.h"

#define CMAP_NO_FILE UINT32_MAX   /* a directive line: it has no location */

struct cmap_file {
  const char *name;
  bool is_source;              /* the input itself (same name or same real path) */
};

struct cmap_loc {
  uint32_t file, line, c_line;
};

struct explore_cmap {
  struct cmap_file *files;
  size_t file_count, file_cap;
  struct cmap_loc *locs;       /* [c_line - 1]: the presumed location of each C line */
  struct cmap_loc *sorted;     /* the located ones by (file, line, c_line) */
  size_t count, sorted_count;
};

static bool cmap_same_file(const char *a, const char *b)
{
  if (strcmp(a, b) == 0)
    return true;
  char ra[PATH_MAX], rb[PATH_MAX];
  return realpath(a, ra) && realpath(b, rb) && strcmp(ra, rb) == 0;
}

static uint32_t cmap_intern_file(struct explore_cmap *m, struct arena *a, const char *name, const char *src_file)
{
  for (size_t i = 0; i < m->file_count; i++)
    if (strcmp(m->files[i].name, name) == 0)
      return (uint32_t)i;
  struct cmap_file *f = ARENA_PUSH(a, m->files, m->file_count, m->file_cap);
  f->name = name;
  f->is_source = cmap_same_file(name, src_file);
  return (uint32_t)(m->file_count - 1);
}

/* the quoted file name of a directive, unescaped, or NULL */
static const char *cmap_parse_name(struct arena *a, const char *s)
{
  if (*s != '"')
    return NULL;
  struct strbuf sb;
  strbuf_init(&sb, a);
  for (s++; *s && *s != '"'; s++) {
    if (*s == '\\' && s[1])
      s++;
    strbuf_putc(&sb, *s);
  }
  return *s == '"' ? arena_strdup(a, strbuf_cstr(&sb)) : NULL;
}

/* `#line N ["file"]` or the linemarker `# N ["file"]`: true with the line
 * the next C line has and, when named, its file */
static bool cmap_parse_directive(struct arena *a, const char *s, uint32_t *line, const char **file)
{
  s += strspn(s, " \t");
  if (*s++ != '#')
    return false;
  s += strspn(s, " \t");
  if (strncmp(s, "line", 4) == 0)
    s += 4;
  s += strspn(s, " \t");
  if (*s < '0' || *s > '9')
    return false;
  char *end;
  *line = (uint32_t)strtoul(s, &end, 10);
  const char *name = cmap_parse_name(a, end + strspn(end, " \t"));
  if (name)
    *file = name;
  return true;
}

static int cmap_compare_loc(const void *pa, const void *pb)
{
  const struct cmap_loc *x = pa, *y = pb;
  if (x->file != y->file)
    return x->file < y->file ? -1 : 1;
  if (x->line != y->line)
    return x->line < y->line ? -1 : 1;
  return x->c_line < y->c_line ? -1 : x->c_line > y->c_line;
}

struct explore_cmap *explore_cmap_build(struct arena *a, const char *src_file, const char *c_name,
                                        const char *const *lines, size_t count)
{
  struct explore_cmap *m = arena_alloc(a, sizeof *m);
  m->count = count;
  m->locs = arena_alloc(a, (count + 1) * sizeof *m->locs);
  m->sorted = arena_alloc(a, (count + 1) * sizeof *m->sorted);
  const char *file = c_name;
  uint32_t next = 1;
  for (size_t i = 0; i < count; i++) {
    uint32_t dline;
    if (cmap_parse_directive(a, lines[i], &dline, &file)) {
      m->locs[i] = (struct cmap_loc){CMAP_NO_FILE, 0, (uint32_t)i + 1};
      next = dline;
      continue;
    }
    m->locs[i] = (struct cmap_loc){cmap_intern_file(m, a, file, src_file), next++, (uint32_t)i + 1};
    m->sorted[m->sorted_count++] = m->locs[i];
  }
  qsort(m->sorted, m->sorted_count, sizeof *m->sorted, cmap_compare_loc);
  return m;
}

/* the first C line at (file, line), or 0 */
static uint32_t cmap_first_line(const struct explore_cmap *m, uint32_t file, uint32_t line)
{
  size_t lo = 0, hi = m->sorted_count;
  struct cmap_loc key = {file, line, 0};
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (cmap_compare_loc(&m->sorted[mid], &key) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo < m->sorted_count && m->sorted[lo].file == file && m->sorted[lo].line == line)
    return m->sorted[lo].c_line;
  return 0;
}

void explore_cmap_at(const struct explore_cmap *m, size_t c_line, struct explore_link *out)
{
  if (c_line < 1 || c_line > m->count)
    return;
  const struct cmap_loc *l = &m->locs[c_line - 1];
  out->c_line = (int32_t)c_line;
  if (l->file == CMAP_NO_FILE)
    return;
  out->c_line = (int32_t)cmap_first_line(m, l->file, l->line);
  if (m->files[l->file].is_source)
    out->src = (int32_t)l->line;
}

void explore_cmap_find(const struct explore_cmap *m, const char *file, uint32_t line, struct explore_link *out)
{
  for (size_t i = 0; i < m->file_count; i++) {
    if (strcmp(m->files[i].name, file) != 0)
      continue;
    out->c_line = (int32_t)cmap_first_line(m, (uint32_t)i, line);
    if (m->files[i].is_source)
      out->src = (int32_t)line;
    return;
  }
}
