/* The file matcher (try_files and php_fastcgi make it too): its root and
 * candidates as strings with placeholders, its try policy and split_path.
 * The runtime stats the candidates (file_begin, file_try, file_end). */
#include <stdlib.h>
#include <string.h>

#include "abi/helpers.h"
#include "lower_parts.h"

static int lower_file_match_root(struct lower *l, const struct json *v, void *record)
{
  struct lowered_file_match *f = record;
  if (!lower_string(l, v, "file matcher root"))
    return -1;
  f->has_root = true;
  return lower_text(l, v, LOWER_PH_ALL, &f->root);
}

/* Caddy's parseErrorCode: "=" and strconv.Atoi of a code in 100..999 */
static int lower_file_match_status(const char *s)
{
  if (s[0] != '=' || !s[1])
    return 0;
  size_t i = s[1] == '+' ? 2 : 1, n = strlen(s);
  if (i == n || n - i > 9 || strspn(s + i, "0123456789") != n - i)
    return 0;
  int code = atoi(s + i);
  return code >= 100 && code <= 999 ? code : 0;
}

/* a candidate: placeholders, but no glob; "=404" is also its text, for the
 * policies that take it as a file name */
static int lower_file_match_one(struct lower *l, const struct json *v, struct lowered_file_try *t)
{
  const char *s = lower_string(l, v, "try_files");
  if (!s)
    return -1;
  t->status = lower_file_match_status(s);
  /* glob characters outside placeholders (their values are never globbed) */
  for (size_t i = 0, depth = 0; i < v->len; i++) {
    depth += s[i] == '{';
    depth -= s[i] == '}' && depth > 0;
    if (depth == 0 && strchr("*?[\\", s[i])) {
      lower_refuse(l, v, "glob in try_files '%s'", s);
      return -1;
    }
  }
  t->dir = v->len > 0 && s[v->len - 1] == '/';
  return lower_text(l, v, LOWER_PH_ALL, &t->path);
}

static int lower_file_match_tries(struct lower *l, const struct json *v, void *record)
{
  struct lowered_file_match *f = record;
  if (!(f->tries = lower_items(l, v, sizeof *f->tries, "try_files that is not a list")))
    return -1;
  int bad = 0;
  for (size_t i = 0; i < v->count; i++)
    bad |= lower_file_match_one(l, v->items[i], &f->tries[f->try_count++]);
  return bad;
}

static const char *const lower_file_policies[] = {
  [ZS_FILE_FIRST_EXIST] = "first_exist", [ZS_FILE_LARGEST] = "largest_size",
  [ZS_FILE_SMALLEST] = "smallest_size", [ZS_FILE_RECENT] = "most_recently_modified",
  [ZS_FILE_FIRST_EXIST_FALLBACK] = "first_exist_fallback",
};

static int lower_file_match_policy(struct lower *l, const struct json *v, void *record)
{
  struct lowered_file_match *f = record;
  const char *p = lower_string(l, v, "try_policy");
  if (!p)
    return -1;
  for (unsigned i = 0; i < sizeof lower_file_policies / sizeof lower_file_policies[0]; i++)
    if (strcmp(p, lower_file_policies[i]) == 0 || (i == ZS_FILE_FIRST_EXIST && !*p)) {
      f->policy = i;
      return 0;
    }
  lower_refuse(l, v, "try_policy '%s'", p);
  return -1;
}

/* split_path: constants, packed NUL-terminated for file_begin */
static int lower_file_match_split(struct lower *l, const struct json *v, void *record)
{
  struct lowered_file_match *f = record;
  if (!lower_items(l, v, 1, "split_path that is not a list"))
    return -1;
  struct strbuf sb;
  strbuf_init(&sb, l->a);
  for (size_t i = 0; i < v->count; i++) {
    const char *s = lower_string(l, v->items[i], "split_path");
    if (!s || !*s || strpbrk(s, "{}") || strlen(s) != v->items[i]->len) {
      if (s)
        lower_refuse(l, v->items[i], "split_path '%s'", s);
      return -1;
    }
    strbuf_put(&sb, s, strlen(s) + 1);
  }
  f->split = strbuf_cstr(&sb);
  f->split_len = sb.len;
  return 0;
}

static const struct lower_key lower_file_match_keys[] = {
  {"root", NULL, lower_file_match_root}, {"try_files", NULL, lower_file_match_tries},
  {"try_policy", "try_policy", lower_file_match_policy}, {"split_path", "split_path", lower_file_match_split},
  {"fs", "fs", lower_key_refused}, {NULL, NULL, NULL},
};

int lower_match_file(struct lower *l, const struct json *v, struct lowered_matcher *out)
{
  struct lowered_file_match *f = out->file = arena_alloc(l->a, sizeof *out->file);
  memset(f, 0, sizeof *f);
  int bad = lower_object_keys(l, v, lower_file_match_keys, "file matcher", f);
  if (!bad && !json_object_get(v, "try_files")) {   /* Caddy's default: the path */
    f->tries = arena_alloc(l->a, sizeof *f->tries);
    memset(f->tries, 0, sizeof *f->tries);
    struct lowered_text_part *p = ARENA_PUSH(l->a, f->tries[0].path.parts, f->tries[0].path.count,
                                             f->tries[0].path.cap);
    p->var = ZS_VAR_path;
    p->var_name = "path";
    f->tries[0].path.pos = lower_pos(l, v);
    f->try_count = 1;
  }
  /* a status raises an error under the first_exist policies only */
  bool first = f->policy == ZS_FILE_FIRST_EXIST || f->policy == ZS_FILE_FIRST_EXIST_FALLBACK;
  for (size_t i = 0; i < f->try_count; i++) {
    if (!first)
      f->tries[i].status = 0;
    else if (f->tries[i].status && !l->file_status_node)
      l->file_status_node = json_object_get(v, "try_files")->items[i];
  }
  return bad;
}
