/* Assembles site.zsb: the header page, then each section on its own
 * ZS_BLOB_PAGE boundary with zero padding, the checksum over the whole file,
 * saved by file_save_output (never over a device). The config bytes come from config.c. */
#include "zsb_parts.h"
#include "base/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "abi/cage.h"

struct writer_part {
  uint32_t kind;
  const void *data;
  size_t size;
};

struct writer_ctx {
  struct arena *a;
  const struct zsb_input *in;
  struct diag *d;
  struct writer_part parts[ZS_BLOB_MAX_SECTIONS];
  size_t part_count;
};

static int writer_fail(struct writer_ctx *c, const char *fmt, const char *arg)
{
  diag_error(c->d, (struct srcpos){ 0 }, fmt, arg);
  return -1;
}

static void writer_add(struct writer_ctx *c, uint32_t kind, const void *data, size_t size)
{
  c->parts[c->part_count++] = (struct writer_part){ kind, data, size };
}

static const struct native_symbol *writer_native_symbol(const struct native_image *img, const char *name)
{
  for (size_t i = 0; i < img->symbol_count; i++)
    if (img->symbols[i].name && !strcmp(img->symbols[i].name, name))
      return &img->symbols[i];
  return NULL;
}

static const struct bpf_func *writer_bpf_func(const struct bpf_program *prog, const char *name)
{
  for (size_t i = 0; prog && i < prog->func_count; i++)
    if (!strcmp(prog->funcs[i].name, name))
      return &prog->funcs[i];
  return NULL;
}

static int writer_entry(struct writer_ctx *c, const char *name, uint32_t kind, uint32_t server, struct zs_entry *out)
{
  const struct native_symbol *sym = name ? writer_native_symbol(c->in->image, name) : NULL;
  if (!sym || sym->offset >= c->in->image->text_size)
    return writer_fail(c, "entry '%s' is not a function of the native code", name ? name : "(none)");
  const struct bpf_func *f = writer_bpf_func(c->in->bpf, name);
  if (c->in->bpf && (!f || !f->is_entry))
    return writer_fail(c, "entry '%s' is not an entry function of the eBPF program", name);
  *out = (struct zs_entry){ .kind = kind, .server = server, .code_offset = sym->offset,
                            .stack_size = f ? f->max_chain_stack : 0, .bpf_insn = f ? f->start : 0 };
  return 0;
}

/* one request entry per server, in server order, then the errors entries */
static int writer_entries(struct writer_ctx *c)
{
  const struct site_config *cfg = c->in->config;
  size_t count = cfg ? cfg->server_count : 0, n = count;
  struct zs_entry *entries = arena_alloc(c->a, (2 * count + 1) * sizeof *entries);
  for (size_t i = 0; i < count; i++)
    if (writer_entry(c, cfg->servers[i].entry_symbol, ZS_ENTRY_REQUEST, (uint32_t)i, &entries[i]) < 0)
      return -1;
  for (size_t i = 0; i < count; i++)
    if (cfg->servers[i].errors_symbol &&
        writer_entry(c, cfg->servers[i].errors_symbol, ZS_ENTRY_ERRORS, (uint32_t)i, &entries[n++]) < 0)
      return -1;
  writer_add(c, ZS_SEC_ENTRIES, entries, n * sizeof *entries);
  return 0;
}

/* names and texts, NUL-separated, into *out; returns each name's offset */
static uint32_t *writer_sources(struct writer_ctx *c, struct strbuf *sb_out)
{
  struct strbuf sb;
  strbuf_init(&sb, c->a);
  uint32_t *offsets = arena_alloc(c->a, (c->in->source_count + 1) * sizeof *offsets);
  for (size_t i = 0; i < c->in->source_count; i++) {
    const struct zsb_source *s = &c->in->sources[i];
    offsets[i] = (uint32_t)sb.len;
    strbuf_puts(&sb, s->name ? s->name : "");
    strbuf_putc(&sb, 0);
    strbuf_put(&sb, s->text ? s->text : "", s->text ? s->len : 0);
    strbuf_putc(&sb, 0);
  }
  *sb_out = sb;
  return offsets;
}

static int writer_compare_rows(const void *x, const void *y)
{
  const struct zs_srcmap_row *r = x, *s = y;
  if (r->native_offset != s->native_offset)
    return r->native_offset < s->native_offset ? -1 : 1;
  return r->bpf_insn < s->bpf_insn ? -1 : r->bpf_insn > s->bpf_insn;
}

static int writer_srcmap(struct writer_ctx *c, const uint32_t *source_offsets)
{
  size_t n = c->in->srcmap_count;
  struct zs_srcmap_row *rows = arena_alloc(c->a, (n + 1) * sizeof *rows);
  for (size_t i = 0; i < n; i++) {
    rows[i] = c->in->srcmap[i];
    if (rows[i].src_file >= c->in->source_count && (rows[i].src_line || c->in->source_count)) {
      diag_error(c->d, (struct srcpos){ 0 }, "source map row %zu names source %u of %zu", i,
                 rows[i].src_file, c->in->source_count);
      return -1;
    }
    rows[i].src_file = rows[i].src_file < c->in->source_count ? source_offsets[rows[i].src_file] : 0;
  }
  qsort(rows, n, sizeof *rows, writer_compare_rows);
  writer_add(c, ZS_SEC_SRCMAP, rows, n * sizeof *rows);
  return 0;
}

static int writer_collect(struct writer_ctx *c)
{
  const struct zsb_input *in = c->in;
  if (!in->image || in->image->text_size > in->image->code_size)
    return writer_fail(c, "no native code to write%s", "");
  if (memmem(in->image->code, in->image->code_size, ZS_UNCAGED_MARKER, sizeof ZS_UNCAGED_MARKER - 1))
    return writer_fail(c, "refusing code lifted without the cage (a measurement build)%s", "");
  writer_add(c, ZS_SEC_CODE, in->image->code, in->image->code_size);
  writer_add(c, ZS_SEC_RODATA, in->bpf ? in->bpf->rodata : NULL, in->bpf ? in->bpf->rodata_size : 0);
  if (writer_entries(c) < 0)
    return -1;
  uint8_t *config;
  size_t config_size;
  if (zsb_build_config(c->a, in->config, &config, &config_size, c->d) < 0)
    return -1;
  writer_add(c, ZS_SEC_CONFIG, config, config_size);
  writer_add(c, ZS_SEC_BPF, in->bpf ? in->bpf->insns : NULL,
             in->bpf ? in->bpf->insn_count * sizeof(struct bpf_insn) : 0);
  struct strbuf sources;
  uint32_t *offsets = writer_sources(c, &sources);
  if (writer_srcmap(c, offsets) < 0)
    return -1;
  writer_add(c, ZS_SEC_SOURCE, sources.data, sources.len);
  return 0;
}

static uint64_t writer_page_up(uint64_t n)
{
  return (n + ZS_BLOB_PAGE - 1) / ZS_BLOB_PAGE * ZS_BLOB_PAGE;
}

/* the whole file in memory: header page, sections, checksum */
static uint8_t *writer_assemble(struct writer_ctx *c, enum zs_arch arch, uint64_t *file_size)
{
  struct zs_blob_header h = { .version = ZS_BLOB_VERSION, .abi_version = ZS_ABI_VERSION,
                              .arch = arch, .section_count = (uint32_t)c->part_count };
  memcpy(h.magic, ZS_BLOB_MAGIC, sizeof h.magic);
  uint64_t at = ZS_BLOB_PAGE;   /* the header has the first page to itself */
  for (size_t i = 0; i < c->part_count; i++) {
    h.sections[i] = (struct zs_section){ .kind = c->parts[i].kind, .offset = at, .size = c->parts[i].size };
    at = writer_page_up(at + c->parts[i].size);
  }
  h.file_size = at;
  uint8_t *file = arena_alloc(c->a, at);
  for (size_t i = 0; i < c->part_count; i++)
    if (c->parts[i].size)
      memcpy(file + h.sections[i].offset, c->parts[i].data, c->parts[i].size);
  memcpy(file, &h, sizeof h);
  h.checksum = zs_checksum(file, at);
  memcpy(file + offsetof(struct zs_blob_header, checksum), &h.checksum, sizeof h.checksum);
  *file_size = at;
  return file;
}

/* never renames over a device or other special file (base/file.c) */
static int writer_save(struct writer_ctx *c, const char *path, const uint8_t *data, uint64_t size)
{
  const char *why;
  int rc = file_save_output(path, data, (size_t)size, &why);
  if (rc < 0) {
    diag_error(c->d, (struct srcpos){ 0 }, "cannot write %s: %s", path, why ? why : strerror(-rc));
    return -1;
  }
  return 0;
}

int zsb_write(const char *path, const struct zsb_input *in, struct diag *d)
{
  struct arena scratch = { 0 };
  struct writer_ctx c = { .a = &scratch, .in = in, .d = d };
  int rc = writer_collect(&c);
  if (rc == 0) {
    enum zs_arch arch = in->arch ? in->arch : in->image->arch;
    if (arch != ZS_ARCH_X86_64 && arch != ZS_ARCH_AARCH64) {
      rc = writer_fail(&c, "unknown target architecture%s", "");
    } else {
      uint64_t size;
      uint8_t *file = writer_assemble(&c, arch, &size);
      rc = writer_save(&c, path, file, size);
    }
  }
  arena_reset(&scratch);
  return rc;
}
