/* The human-readable listing of a blob, for tools and tests: header,
 * sections, entries, config tables (every field, as abi/config.def names it),
 * source map summary and sources. It validates first (check.c) and lists
 * nothing it could misread. */
#include "zsb.h"

#include <stdio.h>
#include <string.h>

static const char *dump_kind_name(uint32_t kind)
{
  static const char *const names[] = { "?", "code", "rodata", "entries", "config", "bpf", "srcmap", "source" };
  return kind < sizeof names / sizeof names[0] ? names[kind] : "?";
}

static void dump_header(const struct zs_blob_header *h, struct strbuf *out)
{
  strbuf_printf(out, "zsb version %u, abi %u, arch %s, %u sections, %llu bytes, checksum 0x%016llx\n",
                h->version, h->abi_version, h->arch == ZS_ARCH_X86_64 ? "x86_64" : "aarch64",
                h->section_count, (unsigned long long)h->file_size, (unsigned long long)h->checksum);
  for (uint32_t i = 0; i < h->section_count; i++)
    strbuf_printf(out, "section %-8s offset 0x%08llx size %llu\n", dump_kind_name(h->sections[i].kind),
                  (unsigned long long)h->sections[i].offset, (unsigned long long)h->sections[i].size);
}

static void dump_entries(const uint8_t *data, const struct zs_blob_header *h, struct strbuf *out)
{
  const struct zs_section *s = zsb_find_section(h, ZS_SEC_ENTRIES);
  for (uint64_t i = 0; i < s->size / sizeof(struct zs_entry); i++) {
    struct zs_entry e;
    memcpy(&e, data + s->offset + i * sizeof e, sizeof e);
    strbuf_printf(out, "entry %llu: %s server %u code+0x%llx stack %u bpf %u\n", (unsigned long long)i,
                  e.kind == ZS_ENTRY_ERRORS ? "errors" : "request", e.server, (unsigned long long)e.code_offset, e.stack_size, e.bpf_insn);
  }
}

/* a pool string, quoted */
static void dump_string(struct strbuf *out, const char *pool, uint32_t off)
{
  strbuf_putc(out, '"');
  for (const char *p = pool + off; *p; p++)
    (*p == '"' || *p == '\\') ? strbuf_printf(out, "\\%c", *p)
    : (unsigned char)*p < 0x20 ? strbuf_printf(out, "\\x%02x", (unsigned char)*p) : strbuf_putc(out, *p);
  strbuf_putc(out, '"');
}

/* a list of pool strings: ["index.html" "index.txt"] */
static void dump_list(struct strbuf *out, const char *pool, uint32_t size, uint32_t off)
{
  strbuf_putc(out, '[');
  for (uint32_t at = off; at < size && pool[at]; at += (uint32_t)strlen(pool + at) + 1) {
    strbuf_puts(out, at == off ? "" : " ");
    dump_string(out, pool, at);
  }
  strbuf_putc(out, ']');
}

struct dump_flag {
  uint32_t value;
  const char *name;
};

/* the names of the set bits: [tls] (zsb_check refused unknown bits) */
static void dump_flags(struct strbuf *out, uint32_t v, const struct dump_flag *known)
{
  const char *sep = "";
  strbuf_putc(out, '[');
  for (const struct dump_flag *f = known; f->name; f++)
    if (v & f->value) {
      strbuf_printf(out, "%s%s", sep, f->name);
      sep = " ";
    }
  strbuf_putc(out, ']');
}

/* one line per row: "file_server 0: root_str "www" index_str [...] ...", every
 * field of abi/config.def under its name */
#define DUMP_FLAG(constant, value, label) { value, label },
#define DUMP_NUM(out, pool, c, x, a) strbuf_printf(out, "%u", (unsigned)(x))
#define DUMP_OPTNUM(out, pool, c, x, a) strbuf_printf(out, "%u", (unsigned)(x))
#define DUMP_INDEX(out, pool, c, x, a) strbuf_printf(out, "%u", (unsigned)(x))
#define DUMP_RESERVED(out, pool, c, x, a) strbuf_printf(out, "%u", (unsigned)(x))
#define DUMP_FLAGS(out, pool, c, x, a) dump_flags(out, x, (const struct dump_flag[]){ a(DUMP_FLAG) { 0, NULL } })
#define DUMP_STR(out, pool, c, x, a) dump_string(out, pool, x)
#define DUMP_LIST(out, pool, c, x, a) dump_list(out, pool, (c)->strings_size, x)
#define ZS_TABLE_BEGIN(table, plural, doc)                                                          \
  static void dump_row_##table(const uint8_t *cfg, const struct zs_config_header *c, uint32_t i,    \
                               struct strbuf *out)                                                  \
  {                                                                                                 \
    const char *pool = (const char *)cfg + c->strings_offset;                                       \
    (void)pool;                /* a table without strings */                                       \
    struct zs_##table r;                                                                            \
    memcpy(&r, cfg + c->table##_table + (size_t)i * sizeof r, sizeof r);                            \
    strbuf_printf(out, "%s %u:", #table, i);
#define ZS_FIELD(table, type, name, kind, a, b, doc) \
    strbuf_puts(out, " " #name " ");                \
    DUMP_##kind(out, pool, c, r.name, a);
#define ZS_TABLE_END(table) \
    strbuf_putc(out, '\n');  \
  }
#include "abi/config.def"

static void dump_config(const uint8_t *data, const struct zs_blob_header *h, struct strbuf *out)
{
  const uint8_t *cfg = data + zsb_find_section(h, ZS_SEC_CONFIG)->offset;
  struct zs_config_header c;
  memcpy(&c, cfg, sizeof c);
  /* the mime table is the compiling machine's MIME database: its size, not its rows */
#define ZS_TABLE_BEGIN(table, plural, doc)                                            \
  if (strcmp(#table, "mime") == 0 && c.table##_count)                                 \
    strbuf_printf(out, "mime: the system's types (rows not listed)\n");               \
  else                                                                                \
    for (uint32_t i = 0; i < c.table##_count; i++)                                    \
      dump_row_##table(cfg, &c, i, out);
#include "abi/config.def"
}

static void dump_sources(const uint8_t *data, const struct zs_blob_header *h, struct strbuf *out)
{
  const struct zs_section *map = zsb_find_section(h, ZS_SEC_SRCMAP);
  const struct zs_section *src = zsb_find_section(h, ZS_SEC_SOURCE);
  const struct zs_section *bpf = zsb_find_section(h, ZS_SEC_BPF);
  if (bpf)
    strbuf_printf(out, "bpf: %llu instructions\n", (unsigned long long)(bpf->size / 8));
  if (map)
    strbuf_printf(out, "srcmap: %llu rows\n", (unsigned long long)(map->size / sizeof(struct zs_srcmap_row)));
  const char *p = src ? (const char *)data + src->offset : NULL, *end = p ? p + src->size : NULL;
  while (p && p < end) {
    const char *name = p, *text = memchr(p, 0, (size_t)(end - p));
    const char *text_end = text ? memchr(text + 1, 0, (size_t)(end - text - 1)) : NULL;
    if (!text_end)
      break;
    strbuf_printf(out, "source %s: %zu bytes\n", name, (size_t)(text_end - text - 1));
    p = text_end + 1;
  }
}

int zsb_dump_bytes(const uint8_t *data, size_t size, struct strbuf *out)
{
  char err[256];
  if (zsb_check(data, size, err, sizeof err) < 0) {
    strbuf_printf(out, "error: %s\n", err);
    return -1;
  }
  struct zs_blob_header h;
  memcpy(&h, data, sizeof h);
  dump_header(&h, out);
  dump_entries(data, &h, out);
  dump_config(data, &h, out);
  dump_sources(data, &h, out);
  return 0;
}

int zsb_dump(const char *path, struct strbuf *out)
{
  FILE *f = fopen(path, "rb");
  if (!f) {
    strbuf_printf(out, "error: cannot open %s\n", path);
    return -1;
  }
  struct strbuf bytes;
  strbuf_init(&bytes, out->arena);
  char chunk[65536];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
    strbuf_put(&bytes, chunk, n);
  fclose(f);
  return zsb_dump_bytes((const uint8_t *)bytes.data, bytes.len, out);
}
