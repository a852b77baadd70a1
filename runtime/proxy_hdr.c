/* header_up / header_down: the ops a program computed (values with their
 * placeholders already replaced) applied to a list of header fields, as
 * Caddy's HeaderOps.ApplyTo does: add appends, set replaces every line of a
 * field with one, delete removes them, replace edits values with
 * strings.ReplaceAll or regexp.ReplaceAllString (PCRE2, with Go's $-template
 * rules translated). Names compare case-insensitively (canonical keys). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "proxy_hdr.h"

#include <errno.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "loader.h"

static int hdr_name_is(const struct response_header *h, const char *name, size_t len)
{
  return h->name_len == len && strncasecmp(h->name, name, len) == 0;
}

static void hdr_delete(struct proxy_hdr_list *l, const char *name, size_t len)
{
  size_t kept = 0;
  for (size_t i = 0; i < l->count; i++)
    if (!hdr_name_is(&l->items[i], name, len))
      l->items[kept++] = l->items[i];
  l->count = kept;
}

static int hdr_add(struct proxy_hdr_list *l, const struct exec_header_op *op)
{
  if (l->count == l->cap)
    return -ENOSPC;
  l->items[l->count++] = (struct response_header){op->name, op->name_len, op->value, op->value_len};
  return 0;
}

/* Go's strings.ReplaceAll; an empty search inserts at every rune boundary */
static int hdr_replace_text(struct proxy_hdr_list *l, const struct proxy_replace *r, const char *with, size_t with_len,
                            struct response_header *h)
{
  char *out = l->store + l->store_used;
  size_t room = l->store_cap - l->store_used, n = 0, i = 0;
#define HDR_PUT(p, k) do { if ((k) > room - n) return -ENOSPC; memcpy(out + n, (p), (k)); n += (k); } while (0)
  while (i <= h->value_len) {
    if (r->len == 0 || (h->value_len - i >= r->len && memcmp(h->value + i, r->search, r->len) == 0)) {
      HDR_PUT(with, with_len);
      if (r->len) {
        i += r->len;
        continue;
      }
    }
    if (i == h->value_len)
      break;
    size_t rune = 1;
    while (r->len == 0 && i + rune < h->value_len && ((unsigned char)h->value[i + rune] & 0xc0) == 0x80)
      rune++;
    HDR_PUT(h->value + i, rune);
    i += rune;
  }
#undef HDR_PUT
  h->value = out;
  h->value_len = n;
  l->store_used += n;
  return 0;
}

static int hdr_name_char(char ch)
{
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_';
}

/* Go's Regexp.Expand template to PCRE2's: $name takes the longest run of
 * name characters, ${name} a braced one, $$ is a dollar; a name that is
 * all digits is a group number, any other names a group or is empty; a
 * lone $ is text */
static int hdr_go_template(const pcre2_code *re, const char *t, size_t len, char *out, size_t cap)
{
  size_t n = 0;
  for (size_t i = 0; i < len; i++) {
    const char *name = NULL;
    size_t name_len = 0, skip = 0;
    if (t[i] == '$' && i + 1 < len && t[i + 1] == '$') {
      name = "", skip = 1;
    } else if (t[i] == '$' && i + 1 < len && t[i + 1] == '{') {
      const char *end = memchr(t + i + 2, '}', len - i - 2);
      size_t k = end ? (size_t)(end - t) : 0;
      for (size_t j = i + 2; end && j < k; j++)
        end = hdr_name_char(t[j]) ? end : NULL;
      if (end && k > i + 2)
        name = t + i + 2, name_len = k - i - 2, skip = k - i;
    } else if (t[i] == '$') {
      size_t j = i + 1;
      while (j < len && hdr_name_char(t[j]))
        j++;
      if (j > i + 1)
        name = t + i + 1, name_len = j - i - 1, skip = j - i - 1;
    }
    char piece[80];
    int k;
    if (!name) {
      k = t[i] == '$' ? snprintf(piece, sizeof piece, "$$") : snprintf(piece, sizeof piece, "%c", t[i]);
    } else if (name_len == 0) {
      k = snprintf(piece, sizeof piece, "$$");
    } else if (name_len >= 64) {
      k = 0;
    } else {
      char key[64];
      memcpy(key, name, name_len);
      key[name_len] = 0;
      int digits = strspn(key, "0123456789") == name_len;
      int known = digits || pcre2_substring_number_from_name(re, (PCRE2_SPTR)key) >= 0;
      k = known ? snprintf(piece, sizeof piece, "${%s}", key) : 0;
    }
    if (k < 0 || (size_t)k > cap - n)
      return -ENOSPC;
    memcpy(out + n, piece, (size_t)k);
    n += (size_t)k;
    i += skip;
  }
  return (int)n;
}

static int hdr_replace_regexp(struct proxy_hdr_list *l, const struct proxy_replace *r, const char *with,
                              size_t with_len, struct response_header *h)
{
  char tmpl[2048];
  int tl = hdr_go_template(r->re, with, with_len, tmpl, sizeof tmpl);
  if (tl < 0)
    return tl;
  PCRE2_SIZE out_len = l->store_cap - l->store_used;
  PCRE2_UCHAR *out = (PCRE2_UCHAR *)(l->store + l->store_used);
  int rc = pcre2_substitute(r->re, (PCRE2_SPTR)h->value, h->value_len, 0,
                            PCRE2_SUBSTITUTE_GLOBAL | PCRE2_SUBSTITUTE_UNKNOWN_UNSET | PCRE2_SUBSTITUTE_UNSET_EMPTY,
                            r->match, NULL, (PCRE2_SPTR)tmpl, (PCRE2_SIZE)tl, out, &out_len);
  if (rc < 0)
    return rc == PCRE2_ERROR_NOMEMORY ? -ENOSPC : -EINVAL;
  h->value = (const char *)out;
  h->value_len = out_len;
  l->store_used += out_len;
  return 0;
}

static int hdr_replace(struct proxy_hdr_list *l, const struct exec_header_op *op, const struct proxy_replace *replaces,
                       size_t replace_count)
{
  if (op->index >= replace_count)
    return -EINVAL;
  const struct proxy_replace *r = &replaces[op->index];
  int all = op->name_len == 1 && op->name[0] == '*';
  for (size_t i = 0; i < l->count; i++) {
    if (!all && !hdr_name_is(&l->items[i], op->name, op->name_len))
      continue;
    int rc = r->re ? hdr_replace_regexp(l, r, op->value, op->value_len, &l->items[i])
                   : hdr_replace_text(l, r, op->value, op->value_len, &l->items[i]);
    if (rc < 0)
      return rc;
  }
  return 0;
}

int proxy_hdr_apply(struct proxy_hdr_list *l, const struct exec_decision *dec, unsigned target,
                    const struct proxy_replace *replaces, size_t replace_count)
{
  for (size_t i = 0; i < dec->op_count; i++) {
    const struct exec_header_op *op = &dec->ops[i];
    int rc = 0;
    if (op->target != target)
      continue;
    if (op->op == ZS_HDR_SET || op->op == ZS_HDR_DELETE)
      hdr_delete(l, op->name, op->name_len);
    if (op->op == ZS_HDR_SET || op->op == ZS_HDR_ADD)
      rc = hdr_add(l, op);
    else if (op->op == ZS_HDR_REPLACE)
      rc = hdr_replace(l, op, replaces, replace_count);
    if (rc < 0)
      return rc;
  }
  return 0;
}

int proxy_hdr_has(const struct exec_decision *dec, unsigned target)
{
  for (size_t i = 0; i < dec->op_count; i++)
    if (dec->ops[i].target == target)
      return 1;
  return 0;
}

static int hdr_compile_one(const char *entry, struct proxy_replace *r)
{
  r->search = entry + 1;
  r->len = strlen(entry + 1);
  if (entry[0] != 'r')
    return 0;
  int code;
  PCRE2_SIZE offset;
  r->re = pcre2_compile((PCRE2_SPTR)r->search, r->len, PCRE2_UTF, &code, &offset, NULL);
  if (!r->re) {
    fprintf(stderr, "zsrt: reverse_proxy replace search_regexp '%s' does not compile\n", r->search);
    return -EINVAL;
  }
  r->match = pcre2_match_data_create_from_pattern(r->re, NULL);
  return r->match ? 0 : -ENOMEM;
}

int proxy_hdr_compile(const struct blob *blob, struct proxy_replace ***out, size_t **counts)
{
  size_t n = blob->config ? blob->config->proxy_count : 0;
  *out = calloc(n + 1, sizeof **out);
  *counts = calloc(n + 1, sizeof **counts);
  if (!*out || !*counts)
    return -ENOMEM;
  for (size_t i = 0; i < n; i++) {
    const char *list = blob_string(blob, blob->proxies[i].replace_str);
    size_t count = 0;
    for (const char *p = list; *p; p += strlen(p) + 1)
      count++;
    if (!count)
      continue;
    if (!((*out)[i] = calloc(count, sizeof ***out)))
      return -ENOMEM;
    (*counts)[i] = count;
    size_t k = 0;
    for (const char *p = list; *p; p += strlen(p) + 1) {
      int rc = hdr_compile_one(p, &(*out)[i][k++]);
      if (rc < 0)
        return rc;
    }
  }
  return 0;
}

void proxy_hdr_free(struct proxy_replace **compiled, size_t *counts, size_t proxy_count)
{
  for (size_t i = 0; compiled && i < proxy_count; i++) {
    for (size_t k = 0; k < counts[i]; k++) {
      pcre2_match_data_free(compiled[i][k].match);
      pcre2_code_free(compiled[i][k].re);
    }
    free(compiled[i]);
  }
  free(compiled);
  free(counts);
}
