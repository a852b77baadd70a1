/* path_regexp and header_regexp: each pattern a row of the config's regex
 * table (zsrt compiles it with PCRE2 when it loads the blob), checked here
 * to be one that Go's RE2 and PCRE2 read alike; {http.regexp.NAME.GROUP}
 * placeholders resolved to a name and a group number. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "lower_parts.h"

/* PCRE2 constructs RE2 has not (Caddy refuses them at provisioning):
 * lookaround, atomic groups, backreferences, possessive quantifiers,
 * callouts, recursion, \Q..\E is the one RE2 shares */
static const char *regexp_perl_only(const char *p)
{
  static const char *const bad[] = {"(?=", "(?!", "(?<=", "(?<!", "(?>", "(?R", "(?C", "(?|", "(?&", "(?P=",
                                    "(?P>", "*+", "++", "?+", "}+", "(*", NULL};
  for (size_t i = 0; bad[i]; i++)
    if (strstr(p, bad[i]))
      return bad[i];
  for (const char *q = p; (q = strchr(q, '\\')); q += 2) {
    if (!q[1])
      break;
    if ((q[1] >= '1' && q[1] <= '9') || strchr("gkKRXhHvVNGAZ", q[1]))
      return "a backslash escape";
  }
  return NULL;
}

static unsigned regexp_name(struct lower *l, const char *name)
{
  struct lowered_config *c = l->cfg;
  for (size_t i = 0; i < c->regex_name_count; i++)
    if (strcmp(c->regex_names[i], name) == 0)
      return (unsigned)i;
  *ARENA_PUSH(l->a, c->regex_names, c->regex_name_count, c->regex_name_cap) = name;
  return (unsigned)c->regex_name_count - 1;
}

/* {"name": ..., "pattern": ...}: a row of the regex table; its index or -1 */
static long regexp_row(struct lower *l, const struct json *v, const char *what)
{
  const struct json *pat = v->kind == JSON_OBJECT ? json_object_get(v, "pattern") : NULL;
  const struct json *name = v->kind == JSON_OBJECT ? json_object_get(v, "name") : NULL;
  if (!pat || pat->kind != JSON_STRING || (name && name->kind != JSON_STRING) || v->count != 1u + (name != NULL)) {
    lower_refuse(l, v, "%s that is not {name, pattern}", what);
    return -1;
  }
  const char *perl = regexp_perl_only(pat->text);
  if (perl || memchr(pat->text, '\0', pat->len)) {
    lower_refuse(l, pat, "%s pattern '%s' (%s is PCRE's, not Go's)", what, pat->text, perl ? perl : "NUL");
    return -1;
  }
  int code;
  PCRE2_SIZE offset;
  pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat->text, pat->len, PCRE2_UTF | PCRE2_DOLLAR_ENDONLY, &code, &offset, NULL);
  uint32_t groups = 0;
  if (re)
    pcre2_pattern_info(re, PCRE2_INFO_CAPTURECOUNT, &groups);
  pcre2_code_free(re);
  if (!re || groups >= LOWER_MAX_REGEX_GROUPS) {
    PCRE2_UCHAR msg[120] = "more capture groups than zsc keeps";
    if (!re)
      pcre2_get_error_message(code, msg, sizeof msg);
    lower_refuse(l, pat, "%s pattern '%s': %s", what, pat->text, (const char *)msg);
    return -1;
  }
  struct lowered_config *c = l->cfg;
  struct lowered_regex *r = ARENA_PUSH(l->a, c->regexes, c->regex_count, c->regex_cap);
  r->pattern = pat->text;
  r->name = regexp_name(l, name ? name->text : "");
  return (long)c->regex_count - 1;
}

int lower_match_path_regexp(struct lower *l, const struct json *v, struct lowered_matcher *out)
{
  long row = regexp_row(l, v, "path_regexp");
  if (row < 0)
    return -1;
  out->regex_uses = arena_alloc(l->a, sizeof *out->regex_uses);
  out->regex_uses[0] = (struct lowered_regex_use){.regex = (unsigned)row};
  out->regex_use_count = 1;
  return 0;
}

/* every field must match (one of its values) */
int lower_match_header_regexp(struct lower *l, const struct json *v, struct lowered_matcher *out)
{
  if (v->kind != JSON_OBJECT || v->count == 0) {
    lower_refuse(l, v, "header_regexp matcher that is not an object of fields");
    return -1;
  }
  out->regex_uses = arena_alloc(l->a, v->count * sizeof *out->regex_uses);
  for (size_t i = 0; i < v->count; i++) {
    const char *field = v->members[i].key;
    char *lc = arena_strdup(l->a, field);
    for (char *p = lc; *p; p++)
      *p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
    if (strcmp(lc, "host") == 0 || strchr(field, '{') || !*field) {
      lower_refuse(l, v->members[i].value, "header_regexp on field '%s'", field);
      return -1;
    }
    long row = regexp_row(l, v->members[i].value, "header_regexp");
    if (row < 0)
      return -1;
    out->regex_uses[out->regex_use_count++] = (struct lowered_regex_use){.regex = (unsigned)row, .field = lc};
  }
  return 0;
}

/* the group number of GROUP (digits, or a capture name of a regex of that name) */
static long regexp_group(struct lower *l, unsigned name, const char *group, size_t len)
{
  if (len > 0 && strspn(group, "0123456789") >= len) {
    long n = strtol(group, NULL, 10);
    return len < 4 && n < LOWER_MAX_REGEX_GROUPS ? n : -1;
  }
  char *g = arena_strndup(l->a, group, len);
  for (size_t i = 0; i < l->cfg->regex_count; i++) {
    if (l->cfg->regexes[i].name != name)
      continue;
    int code;
    PCRE2_SIZE offset;
    const char *p = l->cfg->regexes[i].pattern;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)p, strlen(p), PCRE2_UTF | PCRE2_DOLLAR_ENDONLY, &code, &offset, NULL);
    int n = re ? pcre2_substring_number_from_name(re, (PCRE2_SPTR)g) : -1;
    pcre2_code_free(re);
    if (n >= 0)
      return n;
  }
  return -1;
}

int lower_regexp_capture(struct lower *l, const struct json *at, const char *key, size_t len)
{
  /* {http.regexp.N}: the group of the last regex that matched, whatever its name */
  if (len > 0 && len < 3 && strspn(key, "0123456789") >= len && l->cfg->regex_count > 0) {
    long n = strtol(key, NULL, 10);
    if (n < LOWER_MAX_REGEX_GROUPS)
      return (int)((LOWER_REGEX_ANY << 16 | (unsigned)n) + 1);
  }
  const char *dot = memchr(key, '.', len);
  for (size_t i = 0; dot && i < l->cfg->regex_name_count; i++) {
    const char *name = l->cfg->regex_names[i];
    if (strlen(name) != (size_t)(dot - key) || memcmp(name, key, strlen(name)) != 0)
      continue;
    long group = regexp_group(l, (unsigned)i, dot + 1, len - (size_t)(dot - key) - 1);
    if (group >= 0)
      return (int)(((unsigned)i << 16 | (unsigned)group) + 1);
  }
  /* a name no earlier matcher has, or a group it does not have */
  lower_refuse(l, at, "placeholder {http.regexp.%.*s}", (int)len, key);
  return 0;
}
