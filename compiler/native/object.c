/* Our own static linker for one relocatable object: .text first, then the
 * read-only data, relocated into a single position-independent image.
 * Refuses what the cage model forbids: writable data, undefined symbols
 * (e.g. a memcpy call), absolute relocations. Relocation math is in reloc.c. */
#include "native/native_parts.h"

#include <string.h>

#include "native/reloc.h"

struct native_linker {
  struct arena *arena;
  Elf *elf;
  enum zs_arch arch;
  struct diag *d;
  size_t shstrndx;
  struct native_layout layout;
  struct native_image *out;
};

static int native_fail(struct native_linker *ln, const char *fmt, const char *arg)
{
  diag_error(ln->d, (struct srcpos){0}, fmt, arg);
  return -1;
}

static const char *native_section_name(struct native_linker *ln, const GElf_Shdr *sh)
{
  const char *n = elf_strptr(ln->elf, ln->shstrndx, sh->sh_name);
  return n ? n : "?";
}

static uint64_t native_align(uint64_t v, uint64_t align)
{
  if (align < 16)
    align = 16;
  return (v + align - 1) & ~(align - 1);
}

/* executable sections first (pass 0), then read-only data (pass 1) */
static int native_place_sections(struct native_linker *ln, int pass, uint64_t *size)
{
  Elf_Scn *scn = NULL;
  while ((scn = elf_nextscn(ln->elf, scn))) {
    GElf_Shdr sh;
    gelf_getshdr(scn, &sh);
    if (!(sh.sh_flags & SHF_ALLOC) || sh.sh_size == 0)
      continue;
    if ((sh.sh_flags & SHF_WRITE) || sh.sh_type == SHT_NOBITS)
      return native_fail(ln, "native: writable data section %s: lifted code has no globals",
                         native_section_name(ln, &sh));
    if (!!(sh.sh_flags & SHF_EXECINSTR) != (pass == 0))
      continue;
    *size = native_align(*size, sh.sh_addralign);
    ln->layout.section_offset[elf_ndxscn(scn)] = (int64_t)*size;
    *size += sh.sh_size;
  }
  return 0;
}

static void native_copy_sections(struct native_linker *ln)
{
  Elf_Scn *scn = NULL;
  while ((scn = elf_nextscn(ln->elf, scn))) {
    int64_t at = ln->layout.section_offset[elf_ndxscn(scn)];
    Elf_Data *data = elf_getdata(scn, NULL);
    if (at >= 0 && data && data->d_buf)
      memcpy(ln->out->code + at, data->d_buf, data->d_size);
  }
}

static int native_layout_image(struct native_linker *ln)
{
  if (elf_getshdrnum(ln->elf, &ln->layout.section_count) < 0)
    return native_fail(ln, "native: %s", elf_errmsg(-1));
  ln->layout.section_offset = arena_alloc(ln->arena, ln->layout.section_count * sizeof(int64_t));
  for (size_t i = 0; i < ln->layout.section_count; i++)
    ln->layout.section_offset[i] = -1;
  uint64_t size = 0;
  if (native_place_sections(ln, 0, &size) < 0)
    return -1;
  ln->out->text_size = size;
  if (native_place_sections(ln, 1, &size) < 0)
    return -1;
  ln->out->code_size = size;
  ln->out->code = arena_alloc(ln->arena, size ? size : 1);
  native_copy_sections(ln);
  return 0;
}

static Elf_Scn *native_find_symtab(Elf *elf, GElf_Shdr *sh)
{
  Elf_Scn *scn = NULL;
  while ((scn = elf_nextscn(elf, scn))) {
    gelf_getshdr(scn, sh);
    if (sh->sh_type == SHT_SYMTAB)
      return scn;
  }
  return NULL;
}

/* image offset of symbol i, or -1 after reporting why it cannot be linked */
static int64_t native_symbol_value(struct native_linker *ln, Elf_Data *syms, size_t strndx, size_t i)
{
  GElf_Sym sym;
  if (!gelf_getsym(syms, (int)i, &sym))
    return native_fail(ln, "native: bad symbol index%s", "");
  const char *name = elf_strptr(ln->elf, strndx, sym.st_name);
  if (sym.st_shndx == SHN_UNDEF)
    return native_fail(ln, "native: undefined symbol %s: caged code may call nothing outside itself",
                       name && *name ? name : "?");
  if (sym.st_shndx == SHN_COMMON)
    return native_fail(ln, "native: writable data section (COMMON) for %s: lifted code has no globals",
                       name && *name ? name : "?");
  if (sym.st_shndx == SHN_ABS)
    return (int64_t)sym.st_value;
  if (sym.st_shndx >= ln->layout.section_count || ln->layout.section_offset[sym.st_shndx] < 0)
    return native_fail(ln, "native: symbol %s is in a section the image does not carry",
                       name && *name ? name : "?");
  return ln->layout.section_offset[sym.st_shndx] + (int64_t)sym.st_value;
}

static int native_apply_rela(struct native_linker *ln, Elf_Scn *scn, const GElf_Shdr *sh,
                             Elf_Data *syms, size_t strndx)
{
  int64_t base = ln->layout.section_offset[sh->sh_info];
  Elf_Data *data = elf_getdata(scn, NULL);
  size_t n = sh->sh_entsize ? sh->sh_size / sh->sh_entsize : 0;
  for (size_t i = 0; i < n; i++) {
    GElf_Rela r;
    gelf_getrela(data, (int)i, &r);
    int64_t s = native_symbol_value(ln, syms, strndx, GELF_R_SYM(r.r_info));
    if (s < 0)
      return -1;
    struct native_reloc rel = {.type = GELF_R_TYPE(r.r_info), .place = base + (int64_t)r.r_offset,
                               .value = s + r.r_addend};
    const char *why = native_reloc_apply(ln->arch, ln->out->code, ln->out->code_size, &rel);
    if (why)
      return native_fail(ln, "native: cannot link the object: %s", why);
  }
  return 0;
}

/* relocations of the image's sections; debug sections are lines.c's business */
static int native_relocate(struct native_linker *ln)
{
  GElf_Shdr symsh;
  Elf_Scn *symscn = native_find_symtab(ln->elf, &symsh);
  Elf_Scn *scn = NULL;
  while ((scn = elf_nextscn(ln->elf, scn))) {
    GElf_Shdr sh;
    gelf_getshdr(scn, &sh);
    if ((sh.sh_type != SHT_RELA && sh.sh_type != SHT_REL) || sh.sh_info >= ln->layout.section_count ||
        ln->layout.section_offset[sh.sh_info] < 0)
      continue;
    if (sh.sh_type == SHT_REL || !symscn)
      return native_fail(ln, "native: unsupported relocation section %s", native_section_name(ln, &sh));
    if (native_apply_rela(ln, scn, &sh, elf_getdata(symscn, NULL), symsh.sh_link) < 0)
      return -1;
  }
  return 0;
}

static void native_collect_symbols(struct native_linker *ln)
{
  GElf_Shdr sh;
  Elf_Scn *scn = native_find_symtab(ln->elf, &sh);
  if (!scn)
    return;
  Elf_Data *data = elf_getdata(scn, NULL);
  size_t n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0, cap = 0;
  for (size_t i = 0; i < n; i++) {
    GElf_Sym sym;
    gelf_getsym(data, (int)i, &sym);
    if (GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_shndx == SHN_UNDEF ||
        sym.st_shndx >= ln->layout.section_count || ln->layout.section_offset[sym.st_shndx] < 0)
      continue;
    struct native_symbol *s = ARENA_PUSH(ln->arena, ln->out->symbols, ln->out->symbol_count, cap);
    s->name = arena_strdup(ln->arena, elf_strptr(ln->elf, sh.sh_link, sym.st_name));
    s->offset = (uint64_t)ln->layout.section_offset[sym.st_shndx] + sym.st_value;
    s->size = sym.st_size;
  }
}

static int native_check_header(struct native_linker *ln)
{
  GElf_Ehdr eh;
  if (!gelf_getehdr(ln->elf, &eh) || eh.e_type != ET_REL)
    return native_fail(ln, "native: the compiler did not produce a relocatable ELF object%s", "");
  int want = ln->arch == ZS_ARCH_AARCH64 ? EM_AARCH64 : EM_X86_64;
  if (eh.e_machine != want)
    return native_fail(ln, "native: object is for the wrong machine%s", "");
  if (elf_getshdrstrndx(ln->elf, &ln->shstrndx) < 0)
    return native_fail(ln, "native: %s", elf_errmsg(-1));
  return 0;
}

int native_object_link(struct arena *a, const struct native_object *obj, enum zs_arch arch,
                       struct native_image *out, struct diag *d)
{
  elf_version(EV_CURRENT);
  struct native_linker ln = {.arena = a, .arch = arch, .d = d, .out = out};
  ln.elf = elf_memory((char *)obj->data, obj->size);
  if (!ln.elf)
    return native_fail(&ln, "native: cannot read the object: %s", elf_errmsg(-1));
  memset(out, 0, sizeof *out);
  out->arch = arch;
  int rc = -1;
  if (native_check_header(&ln) == 0 && native_layout_image(&ln) == 0 && native_relocate(&ln) == 0) {
    native_collect_symbols(&ln);
    native_lines_read(a, ln.elf, &ln.layout, out);
    rc = 0;
  }
  elf_end(ln.elf);
  return rc;
}
