/* BTF line info: which source line (through #line, the Caddyfile) each
 * instruction comes from. libbpf 1.1 parses .BTF (the strings) but gives no
 * public access to .BTF.ext line_info, so that part is read here. */
#include "object.h"

#include <bpf/btf.h>
#include <string.h>

#define LINES_BTF_MAGIC 0xeB9F

/* the fixed part of .BTF.ext's header; offsets are from the end of the header */
struct lines_ext_header {
  uint16_t magic;
  uint8_t version, flags;
  uint32_t hdr_len;
  uint32_t func_info_off, func_info_len;
  uint32_t line_info_off, line_info_len;
};

struct lines_ctx {
  struct arena *a;
  struct bpf_object *obj;
  struct btf *btf;
  struct diag *d;
};

static uint32_t lines_u32(const uint8_t *p)
{
  uint32_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

static int lines_section_index(const struct bpf_object *obj, const char *name)
{
  for (size_t i = 1; i < obj->section_count; i++)
    if (obj->sections[i].name && !strcmp(obj->sections[i].name, name))
      return (int)i;
  return -1;
}

static const char *lines_string(struct lines_ctx *c, uint32_t off)
{
  const char *s = btf__name_by_offset(c->btf, off);
  return s && *s ? arena_strdup(c->a, s) : NULL;
}

/* "./Caddyfile" (compiled with a relative debug folder) is shown as "Caddyfile" */
static const char *lines_file(struct lines_ctx *c, uint32_t off)
{
  const char *s = lines_string(c, off);
  while (s && s[0] == '.' && s[1] == '/')
    s += 2;
  return s;
}

/* one line_info record: insn_off, file_name_off, line_off, line_col */
static void lines_add_record(struct lines_ctx *c, int section, const uint8_t *rec)
{
  struct bpf_object *obj = c->obj;
  struct bpf_line_rec *l = ARENA_PUSH(c->a, obj->lines, obj->line_count, obj->line_cap);
  uint32_t line_col = lines_u32(rec + 12);
  l->section = (uint32_t)section;
  l->insn_off = lines_u32(rec);
  l->file = lines_file(c, lines_u32(rec + 4));
  l->text = lines_string(c, lines_u32(rec + 8));
  l->line = line_col >> 10;
  l->col = line_col & 0x3ff;
}

/* rec_size, then per section {sec_name_off, num_info, records} */
static int lines_walk(struct lines_ctx *c, const uint8_t *p, size_t len)
{
  struct srcpos pos = { .file = c->obj->name };
  if (len < 4)
    return 0;
  uint32_t rec_size = lines_u32(p);
  if (rec_size < 16) {
    diag_error(c->d, pos, "bad .BTF.ext line_info record size %u", rec_size);
    return -1;
  }
  for (size_t at = 4; at + 8 <= len;) {
    const char *sec_name = btf__name_by_offset(c->btf, lines_u32(p + at));
    uint32_t num = lines_u32(p + at + 4);
    at += 8;
    if ((uint64_t)num * rec_size > len - at) {
      diag_error(c->d, pos, "truncated .BTF.ext line_info");
      return -1;
    }
    int section = sec_name ? lines_section_index(c->obj, sec_name) : -1;
    for (uint32_t i = 0; i < num && section > 0; i++)
      lines_add_record(c, section, p + at + (size_t)i * rec_size);
    at += (size_t)num * rec_size;
  }
  return 0;
}

int bpf_read_lines(struct arena *a, struct bpf_object *obj, const uint8_t *btf, size_t btf_size,
                   const uint8_t *ext, size_t ext_size, struct diag *d)
{
  struct lines_ext_header h;
  if (ext_size < sizeof h)
    return 0;
  memcpy(&h, ext, sizeof h);
  if (h.magic != LINES_BTF_MAGIC || h.hdr_len > ext_size ||
      (uint64_t)h.hdr_len + h.line_info_off + h.line_info_len > ext_size)
    return 0;   /* unknown flavour: no line info rather than no program */
  struct lines_ctx c = { .a = a, .obj = obj, .d = d, .btf = btf__new(btf, (uint32_t)btf_size) };
  if (!c.btf)   /* libbpf 1.x: NULL on error */
    return 0;
  int rc = lines_walk(&c, ext + h.hdr_len + h.line_info_off, h.line_info_len);
  btf__free(c.btf);
  return rc;
}
