/* PCRE2 for path_regexp and header_regexp: the patterns (lowering checked
 * they read alike in Go's RE2) compiled with $ at the very end only, as
 * RE2's, and JIT-compiled; each worker has its own set and match data. */
#include "regex.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader.h"

const struct exec_capture *regex_capture(const struct exec_decision *dec, unsigned key)
{
  for (size_t i = 0; i < dec->capture_count; i++)
    if (dec->captures[i].key == key)
      return &dec->captures[i];
  return NULL;
}

#ifdef ZSRT_NO_REGEX
/* the static aarch64 build has no PCRE2: a blob with regexes is refused */
int regex_set_create(const struct blob *blob, struct regex_set **out)
{
  *out = NULL;
  if (blob->config && blob->config->regex_count) {
    fprintf(stderr, "zsrt: this build has no regular expressions (PCRE2)\n");
    return -ENOTSUP;
  }
  return 0;
}

void regex_set_destroy(struct regex_set *set)
{
  (void)set;
}

int regex_match(struct regex_set *set, unsigned id, const char *subject, size_t len, struct exec_decision *dec)
{
  (void)set, (void)id, (void)subject, (void)len, (void)dec;
  return -EINVAL;
}
#else
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#define REGEX_MATCH_LIMIT 100000u   /* backtracking steps per match */

struct regex_one {
  pcre2_code *re;
  pcre2_match_data *md;
  unsigned name;
};

struct regex_set {
  struct regex_one *items;
  size_t count;
  pcre2_match_context *mctx;
};

void regex_set_destroy(struct regex_set *set)
{
  if (!set)
    return;
  for (size_t i = 0; i < set->count; i++) {
    pcre2_match_data_free(set->items[i].md);
    pcre2_code_free(set->items[i].re);
  }
  pcre2_match_context_free(set->mctx);
  free(set->items);
  free(set);
}

static int regex_compile(const char *pattern, unsigned name, struct regex_one *out)
{
  int code;
  PCRE2_SIZE offset;
  out->name = name;
  out->re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_DOLLAR_ENDONLY, &code,
                          &offset, NULL);
  if (!out->re) {
    fprintf(stderr, "zsrt: regular expression '%s' does not compile\n", pattern);
    return -EINVAL;
  }
  pcre2_jit_compile(out->re, PCRE2_JIT_COMPLETE);   /* without JIT (no executable memory) it interprets */
  out->md = pcre2_match_data_create_from_pattern(out->re, NULL);
  return out->md ? 0 : -ENOMEM;
}

int regex_set_create(const struct blob *blob, struct regex_set **out)
{
  *out = NULL;
  size_t n = blob->config ? blob->config->regex_count : 0;
  if (n == 0)
    return 0;
  struct regex_set *set = calloc(1, sizeof *set);
  if (!set || !(set->items = calloc(n, sizeof *set->items)) || !(set->mctx = pcre2_match_context_create(NULL))) {
    regex_set_destroy(set);
    return -ENOMEM;
  }
  pcre2_set_match_limit(set->mctx, REGEX_MATCH_LIMIT);
  for (size_t i = 0; i < n; i++, set->count++) {
    int rc = regex_compile(blob_string(blob, blob->regexes[i].pattern_str), blob->regexes[i].name, &set->items[i]);
    if (rc < 0) {
      set->count++;
      regex_set_destroy(set);
      return rc;
    }
  }
  *out = set;
  return 0;
}

#define REGEX_ANY 0xffffu          /* {http.regexp.N}: the last match of any name */

/* the groups of a match replace those its name had, and those of the
 * nameless {http.regexp.N} (Caddy's replacer sets both) */
static int regex_keep(const struct regex_one *r, const char *subject, struct exec_decision *dec)
{
  size_t kept = 0;
  for (size_t i = 0; i < dec->capture_count; i++)
    if (dec->captures[i].key >> 16 != r->name && dec->captures[i].key >> 16 != REGEX_ANY)
      dec->captures[kept++] = dec->captures[i];
  dec->capture_count = kept;
  uint32_t pairs = pcre2_get_ovector_count(r->md);
  PCRE2_SIZE *ov = pcre2_get_ovector_pointer(r->md);
  for (uint32_t g = 0; g < pairs; g++) {
    if (dec->capture_count >= EXEC_MAX_CAPTURES)
      return -ENOSPC;
    size_t len = ov[2 * g] == PCRE2_UNSET ? 0 : ov[2 * g + 1] - ov[2 * g];
    if (len > sizeof dec->storage - dec->storage_used)
      return -ENOSPC;
    char *p = dec->storage + dec->storage_used;
    if (len)
      memcpy(p, subject + ov[2 * g], len);
    dec->storage_used += len;
    dec->captures[dec->capture_count++] = (struct exec_capture){.key = r->name << 16 | g, .text = p, .len = len};
    if (dec->capture_count >= EXEC_MAX_CAPTURES)
      return -ENOSPC;
    dec->captures[dec->capture_count++] = (struct exec_capture){.key = REGEX_ANY << 16 | g, .text = p, .len = len};
  }
  return 0;
}

int regex_match(struct regex_set *set, unsigned id, const char *subject, size_t len, struct exec_decision *dec)
{
  if (!set || id >= set->count)
    return -EINVAL;
  struct regex_one *r = &set->items[id];
  int rc = pcre2_match(r->re, (PCRE2_SPTR)subject, len, 0, 0, r->md, set->mctx);
  if (rc < 0)
    return 0;   /* no match, invalid UTF-8 (Go's RE2 reads it as U+FFFD: rare), or the match limit */
  rc = regex_keep(r, subject, dec);
  return rc < 0 ? rc : 1;
}

#endif

/* path.Clean: empty and "." elements dropped, ".." takes one back */
long regex_clean_path(const char *p, size_t n, char *out, size_t cap)
{
  if (n == 0 || cap < n + 2)
    return n == 0 && cap >= 1 ? (out[0] = '/', 1) : -ENOSPC;
  int rooted = p[0] == '/';
  size_t w = rooted ? 1 : 0, floor = w;
  if (rooted)
    out[0] = '/';
  for (size_t i = 0; i < n;) {
    size_t end = i;
    while (end < n && p[end] != '/')
      end++;
    size_t seg = end - i;
    if (seg == 0 || (seg == 1 && p[i] == '.')) {
      /* nothing */
    } else if (seg == 2 && p[i] == '.' && p[i + 1] == '.') {
      if (w > floor) {
        while (w > floor && out[w - 1] != '/')
          w--;
        if (w > floor)
          w--;
      } else if (!rooted) {
        if (w > 0)
          out[w++] = '/';
        memcpy(out + w, "..", 2);
        w += 2;
        floor = w;
      }
    } else {
      if (w > (rooted ? 1u : 0u) && out[w - 1] != '/')
        out[w++] = '/';
      memcpy(out + w, p + i, seg);
      w += seg;
    }
    i = end + 1;
  }
  if (w == 0)
    out[w++] = '.';
  if (n > 0 && p[n - 1] == '/' && !(w == 1 && out[0] == '/'))
    out[w++] = '/';
  return (long)w;
}
