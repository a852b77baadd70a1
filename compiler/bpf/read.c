/* The ELF reader: an eBPF relocatable object (libelf/gelf) into struct
 * bpf_object: sections with their role, symbols, relocations, BTF line info.
 * It refuses what the cage cannot host; resolving symbols is link.c's job. */
#include "object.h"
#include "base/file.h"

#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <string.h>

#ifndef EM_BPF
#define EM_BPF 247
#endif

struct read_ctx {
  struct arena *a;
  struct bpf_object *obj;
  Elf *elf;
  size_t shstrndx;
  struct diag *d;
  Elf_Data *btf, *btf_ext;
};

static int read_fail(struct read_ctx *c, const char *fmt, const char *arg)
{
  struct srcpos pos = { .file = c->obj->name };
  diag_error(c->d, pos, fmt, arg);
  return -1;
}

static bool read_has_prefix(const char *s, const char *prefix)
{
  return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* what the cage can do with an allocated section, or -1 after reporting */
static int read_classify(struct read_ctx *c, const GElf_Shdr *sh, const char *name)
{
  if (!(sh->sh_flags & SHF_ALLOC) || sh->sh_size == 0)
    return BPF_SECTION_IGNORED;
  if (!strcmp(name, "maps") || !strcmp(name, ".maps"))
    return read_fail(c, "eBPF maps are not supported (section %s)", name);
  if ((sh->sh_flags & SHF_WRITE) || sh->sh_type == SHT_NOBITS)
    return read_fail(c, "writable global data in section %s: the cage has no writable "
                        "global region (keep state on the stack or in the heap)", name);
  if (sh->sh_flags & SHF_EXECINSTR) {
    if (sh->sh_size % sizeof(struct bpf_insn))
      return read_fail(c, "code section %s is not a whole number of instructions", name);
    return BPF_SECTION_CODE;
  }
  if (read_has_prefix(name, ".rodata") && sh->sh_type == SHT_PROGBITS)
    return BPF_SECTION_RODATA;
  if (!strcmp(name, "license") || !strcmp(name, "version"))
    return BPF_SECTION_IGNORED;
  return read_fail(c, "unsupported section %s", name);
}

static int read_section(struct read_ctx *c, Elf_Scn *scn, size_t index)
{
  GElf_Shdr sh;
  if (!gelf_getshdr(scn, &sh))
    return read_fail(c, "bad section header: %s", elf_errmsg(-1));
  struct bpf_section *s = &c->obj->sections[index];
  const char *name = elf_strptr(c->elf, c->shstrndx, sh.sh_name);
  s->name = arena_strdup(c->a, name ? name : "");
  s->size = sh.sh_size;
  s->align = sh.sh_addralign ? sh.sh_addralign : 1;
  s->flags = sh.sh_flags;
  if (!strcmp(s->name, ".BTF"))
    c->btf = elf_getdata(scn, NULL);
  else if (!strcmp(s->name, ".BTF.ext"))
    c->btf_ext = elf_getdata(scn, NULL);
  int role = read_classify(c, &sh, s->name);
  if (role < 0)
    return -1;
  s->role = role;
  if (role == BPF_SECTION_IGNORED)
    return 0;
  Elf_Data *data = elf_getdata(scn, NULL);
  if (!data || data->d_size != sh.sh_size)
    return read_fail(c, "cannot read section %s", s->name);
  s->data = arena_alloc(c->a, s->size + 8);
  memcpy(s->data, data->d_buf, s->size);
  return 0;
}

static int read_symbols(struct read_ctx *c, Elf_Scn *scn, const GElf_Shdr *sh)
{
  Elf_Data *data = elf_getdata(scn, NULL);
  size_t count = sh->sh_entsize ? sh->sh_size / sh->sh_entsize : 0;
  struct bpf_object *obj = c->obj;
  obj->symbols = arena_alloc(c->a, (count + 1) * sizeof *obj->symbols);
  obj->symbol_count = count;
  for (size_t i = 0; i < count; i++) {
    GElf_Sym sym;
    if (!data || !gelf_getsym(data, (int)i, &sym))
      return read_fail(c, "bad symbol table: %s", elf_errmsg(-1));
    const char *name = elf_strptr(c->elf, sh->sh_link, sym.st_name);
    struct bpf_symbol *s = &obj->symbols[i];
    s->name = arena_strdup(c->a, name ? name : "");
    /* absolute and common symbols get an index no section has: refused if referenced */
    s->section = sym.st_shndx < SHN_LORESERVE ? sym.st_shndx : UINT32_MAX;
    s->value = sym.st_value;
    s->size = sym.st_size;
    s->type = GELF_ST_TYPE(sym.st_info);
    s->bind = GELF_ST_BIND(sym.st_info);
    if (s->type == STT_SECTION && s->section < obj->section_count && !*s->name)
      s->name = obj->sections[s->section].name;
  }
  return 0;
}

static void read_push_reloc(struct read_ctx *c, uint32_t target, GElf_Addr offset, GElf_Xword info,
                            int64_t addend, bool has_addend)
{
  struct bpf_object *obj = c->obj;
  struct bpf_reloc *r = ARENA_PUSH(c->a, obj->relocs, obj->reloc_count, obj->reloc_cap);
  r->section = target;
  r->offset = offset;
  r->type = (uint32_t)GELF_R_TYPE(info);
  r->symbol = (uint32_t)GELF_R_SYM(info);
  r->addend = addend;
  r->has_addend = has_addend;
}

/* relocations of sections the linker patches (code, rodata); the rest is debug info */
static int read_relocs(struct read_ctx *c, Elf_Scn *scn, const GElf_Shdr *sh)
{
  uint32_t target = sh->sh_info;
  if (target >= c->obj->section_count || c->obj->sections[target].role == BPF_SECTION_IGNORED)
    return 0;
  Elf_Data *data = elf_getdata(scn, NULL);
  size_t count = sh->sh_entsize ? sh->sh_size / sh->sh_entsize : 0;
  for (size_t i = 0; i < count; i++) {
    if (sh->sh_type == SHT_REL) {
      GElf_Rel rel;
      if (!data || !gelf_getrel(data, (int)i, &rel))
        return read_fail(c, "bad relocation section: %s", elf_errmsg(-1));
      read_push_reloc(c, target, rel.r_offset, rel.r_info, 0, false);
    } else {
      GElf_Rela rela;
      if (!data || !gelf_getrela(data, (int)i, &rela))
        return read_fail(c, "bad relocation section: %s", elf_errmsg(-1));
      read_push_reloc(c, target, rela.r_offset, rela.r_info, rela.r_addend, true);
    }
  }
  return 0;
}

static int read_check_header(struct read_ctx *c)
{
  GElf_Ehdr eh;
  if (elf_kind(c->elf) != ELF_K_ELF || !gelf_getehdr(c->elf, &eh))
    return read_fail(c, "not an ELF file%s", "");
  if (eh.e_machine != EM_BPF || eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB)
    return read_fail(c, "not a little-endian 64-bit eBPF object%s", "");
  if (eh.e_type != ET_REL)
    return read_fail(c, "not a relocatable object%s", "");
  if (elf_getshdrstrndx(c->elf, &c->shstrndx) != 0)
    return read_fail(c, "no section name table: %s", elf_errmsg(-1));
  return 0;
}

/* sections first (roles), then the symbol table, then relocations */
static int read_all(struct read_ctx *c)
{
  size_t count;
  if (read_check_header(c) < 0 || elf_getshdrnum(c->elf, &count) != 0)
    return -1;
  c->obj->sections = arena_alloc(c->a, (count + 1) * sizeof *c->obj->sections);
  c->obj->section_count = count;
  for (Elf_Scn *scn = NULL; (scn = elf_nextscn(c->elf, scn));)
    if (read_section(c, scn, elf_ndxscn(scn)) < 0)
      return -1;
  for (Elf_Scn *scn = NULL; (scn = elf_nextscn(c->elf, scn));) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh))
      return -1;
    if (sh.sh_type == SHT_SYMTAB && read_symbols(c, scn, &sh) < 0)
      return -1;
  }
  for (Elf_Scn *scn = NULL; (scn = elf_nextscn(c->elf, scn));) {
    GElf_Shdr sh;
    if (gelf_getshdr(scn, &sh) && (sh.sh_type == SHT_REL || sh.sh_type == SHT_RELA) &&
        read_relocs(c, scn, &sh) < 0)
      return -1;
  }
  return 0;
}

int bpf_read(struct arena *a, const char *name, const uint8_t *elf, size_t size,
             struct bpf_object **out, struct diag *d)
{
  struct bpf_object *obj = arena_alloc(a, sizeof *obj);
  obj->name = arena_strdup(a, name ? name : "<memory>");
  struct read_ctx c = { .a = a, .obj = obj, .d = d };
  if (elf_version(EV_CURRENT) == EV_NONE)
    return read_fail(&c, "libelf: %s", elf_errmsg(-1));
  char *copy = arena_alloc(a, size + 1);
  memcpy(copy, elf, size);
  c.elf = elf_memory(copy, size);
  if (!c.elf)
    return read_fail(&c, "not an ELF file: %s", elf_errmsg(-1));
  int rc = read_all(&c);
  if (rc == 0 && c.btf && c.btf_ext)
    rc = bpf_read_lines(a, obj, c.btf->d_buf, c.btf->d_size, c.btf_ext->d_buf, c.btf_ext->d_size, d);
  elf_end(c.elf);
  if (rc == 0)
    *out = obj;
  return rc;
}

int bpf_read_file(struct arena *a, const char *path, struct bpf_object **out, struct diag *d)
{
  char *data;
  size_t len;
  if (file_read_all(a, path, &data, &len) < 0) {
    diag_error(d, (struct srcpos){ .file = path }, "cannot open eBPF object");
    return -1;
  }
  return bpf_read(a, path, (const uint8_t *)data, len, out, d);
}
