/* docs/blob-format.md describes the config tables as abi/config.def defines
 * them: the block between its config-schema markers must be exactly what this
 * program makes from the .def. `blob_doc_test --print` prints that block, to
 * paste into the page after a change to the .def. And the layout (sizes and
 * offsets, not names) is the one ZS_BLOB_VERSION promises. */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi/blob.h"

#define DOC_BEGIN "<!-- config-schema: generated from abi/config.def by testsuite/unit/blob_doc_test -->\n"
#define DOC_END "<!-- config-schema end -->\n"

struct doc {
  char *text;
  size_t len, cap;
};

static void doc_printf(struct doc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void doc_printf(struct doc *d, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (d->len + (size_t)n + 1 > d->cap) {
    d->cap = (d->len + (size_t)n + 1) * 2;
    d->text = realloc(d->text, d->cap);
  }
  va_start(ap, fmt);
  vsnprintf(d->text + d->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  d->len += (size_t)n;
}

/* what each kind allows, as the page says it */
#define DOC_FLAG(constant, value, label) doc_printf(d, "%s%u = `%s`", first++ ? ", " : "", (unsigned)(value), #constant);
#define DOC_KIND_NUM(a, b) doc_printf(d, "%u..%u", (unsigned)(a), (unsigned)(b))
#define DOC_KIND_OPTNUM(a, b) doc_printf(d, "0 or %u..%u", (unsigned)(a), (unsigned)(b))
#define DOC_KIND_FLAGS(a, b) \
  do { \
    int first = 0; \
    doc_printf(d, "flags: "); \
    a(DOC_FLAG) \
    doc_printf(d, "%s", first ? "" : "0"); \
  } while (0)
#define DOC_KIND_STR(a, b) doc_printf(d, "string")
#define DOC_KIND_LIST(a, b) doc_printf(d, "string list")
#define DOC_KIND_INDEX(a, b) doc_printf(d, "index into the `%s` table", #a)
#define DOC_KIND_RESERVED(a, b) doc_printf(d, "0")

static void doc_make(struct doc *d)
{
  doc_printf(d, DOC_BEGIN "| table | row size | rows |\n|-------|---------:|-------------|\n");
#define ZS_TABLE_BEGIN(table, plural, doc) \
  doc_printf(d, "| `zs_%s` | %zu | %s |\n", #table, sizeof(struct zs_##table), doc);
#include "abi/config.def"
  doc_printf(d, "\n| table | offset | field | type | allowed | meaning |\n"
                "|-------|-------:|-------|------|---------|---------|\n");
#define ZS_FIELD(table, type, name, kind, a, b, doc)                                                     \
  doc_printf(d, "| `zs_%s` | %zu | `%s` | `%s` | ", #table, offsetof(struct zs_##table, name), #name, #type); \
  DOC_KIND_##kind(a, b);                                                                                 \
  doc_printf(d, " | %s |\n", doc);
#include "abi/config.def"
  doc_printf(d, DOC_END);
}

/* FNV-1a over every table's row size and every field's offset and size */
static uint64_t layout_hash(void)
{
  uint64_t h = ZS_CHECKSUM_INIT;
  uint32_t v;
#define ZS_TABLE_BEGIN(table, plural, doc) \
  v = (uint32_t)sizeof(struct zs_##table) | 0x80000000u; \
  h = zs_checksum_update(h, (const unsigned char *)&v, sizeof v);
#define ZS_FIELD(table, type, name, kind, a, b, doc) \
  v = (uint32_t)(offsetof(struct zs_##table, name) << 8 | sizeof(type)); \
  h = zs_checksum_update(h, (const unsigned char *)&v, sizeof v);
#include "abi/config.def"
  return h;
}

/* the config layout of each blob version: a change to it bumps ZS_BLOB_VERSION
 * and adds its line (a field in place of a reserved one of its size keeps it) */
static const uint64_t layouts[] = {
  [1] = 0xccfeb1ccaffdef93ull,
  [2] = 0x594ab80f438171cbull,   /* tls_policy, tls_cert, tls_app; server timeouts; never released with another layout */
  [3] = 0xd83102099450ba67ull,   /* logger, access_log; proxy replace_str, trusted_str */
  [4] = 0x3b96f63f9e6c35bbull,   /* proxy request_buffers, stream_timeout_ms, stream_close_delay_ms */
  [5] = 0xe79284b0f1a5702full,   /* regex; the entries section adds errors entries */
  [6] = 0xb49df7031cabc639ull,   /* encoder; file_server precompressed_str */
  [7] = 0x5b6b76ac2ba31657ull,   /* acme_issuer; tls_cert issuer, issuer_count; tls_app renew_interval */
  [8] = 0xa99ae07eb886f901ull,   /* proxy load balancing, health checks, transport; proxy_upstream */
  [9] = 0x87c166a45c510a0dull,   /* mime */
  [10] = 0x5743ad89b3686f4dull, /* logger roll_size_mb, roll_keep, roll_keep_days, flags */
  [11] = 0x458e8ad2315fc705ull,  /* file_server file_limit */
  [12] = 0x74b96580a1383d91ull,  /* http_app: grace_period, shutdown_delay */
  [13] = 0x717de53c13ee264dull,  /* logger encoder options */
};

static char *doc_read(const char *path)
{
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *text = calloc(1, (size_t)n + 1);
  if (fread(text, 1, (size_t)n, f) != (size_t)n) {
    free(text);
    text = NULL;
  }
  fclose(f);
  return text;
}

int main(int argc, char **argv)
{
  struct doc d = { 0 };
  doc_make(&d);
  if (argc == 2 && !strcmp(argv[1], "--print")) {
    fputs(d.text, stdout);
    return 0;
  }
  uint64_t layout = layout_hash();
  if (ZS_BLOB_VERSION >= sizeof layouts / sizeof layouts[0] || layouts[ZS_BLOB_VERSION] != layout) {
    fprintf(stderr, "the config layout (0x%016llx) is not version %u's: bump ZS_BLOB_VERSION in abi/blob.h "
                    "and give the new version this layout in %s\n", (unsigned long long)layout, ZS_BLOB_VERSION,
            __FILE__);
    free(d.text);
    return 1;
  }
  char *page = argc == 2 ? doc_read(argv[1]) : NULL;
  if (!page) {
    fprintf(stderr, "usage: blob_doc_test docs/blob-format.md | --print\n");
    return 1;
  }
  const char *begin = strstr(page, DOC_BEGIN), *end = begin ? strstr(begin, DOC_END) : NULL;
  int ok = end && (size_t)(end + strlen(DOC_END) - begin) == d.len && !memcmp(begin, d.text, d.len);
  if (!ok)
    fprintf(stderr, "docs/blob-format.md: the config tables differ from abi/config.def; the block should be:\n%s",
            d.text);
  free(page);
  free(d.text);
  printf("blob_doc_test: %s\n", ok ? "ok" : "FAILED");
  return ok ? 0 : 1;
}
