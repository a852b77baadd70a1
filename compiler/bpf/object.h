/* struct bpf_object: one eBPF ELF relocatable as the reader saw it. Internal to
 * the bpf stage (read.c fills it, lines.c adds BTF line info, link.c consumes). */
#ifndef ZSC_BPF_OBJECT_H
#define ZSC_BPF_OBJECT_H

#include <stdbool.h>
#include <stdint.h>

#include "bpf.h"

enum bpf_section_role {
  BPF_SECTION_IGNORED = 0,     /* debug info, BTF, symbol tables, empty sections */
  BPF_SECTION_CODE,            /* executable: eBPF instructions */
  BPF_SECTION_RODATA,          /* .rodata*: mapped read-only into the cage */
};

/* ELF relocation types of the BPF back end */
enum bpf_reloc_type {
  BPF_RELOC_NONE = 0,
  BPF_RELOC_64_64 = 1,         /* ld_imm64: S + A, A in the first imm */
  BPF_RELOC_ABS64 = 2,         /* data: S + A */
  BPF_RELOC_ABS32 = 3,
  BPF_RELOC_NODYLD32 = 4,      /* debug and BTF.ext only */
  BPF_RELOC_64_32 = 10,        /* call: (S + A) / 8 - 1 */
};

struct bpf_section {
  const char *name;
  enum bpf_section_role role;
  uint8_t *data;               /* arena copy (code and rodata only) */
  uint64_t size, align, flags;
  uint64_t base;               /* set by the linker: first insn (code) or rodata offset */
};

struct bpf_symbol {
  const char *name;
  uint32_t section;            /* ELF section index; 0 = undefined */
  uint64_t value, size;
  uint8_t type, bind;          /* STT_*, STB_* */
};

struct bpf_reloc {
  uint32_t section;            /* the section the relocation patches */
  uint64_t offset;             /* in that section */
  uint32_t type;               /* enum bpf_reloc_type */
  uint32_t symbol;             /* index into symbols */
  int64_t addend;              /* RELA only; REL keeps it in the patched bytes */
  bool has_addend;
};

/* a BTF line_info record, still in section terms */
struct bpf_line_rec {
  uint32_t section;            /* ELF section index */
  uint32_t insn_off;           /* bytes from the section start */
  const char *file, *text;
  uint32_t line, col;
};

struct bpf_object {
  const char *name;
  struct bpf_section *sections;   /* indexed by ELF section index */
  size_t section_count;
  struct bpf_symbol *symbols;     /* indexed by ELF symbol index */
  size_t symbol_count;
  struct bpf_reloc *relocs;
  size_t reloc_count, reloc_cap;
  struct bpf_line_rec *lines;
  size_t line_count, line_cap;
  bool plugin;                    /* an ebpf program: its code counts as the program's own */
};

/* lines.c: BTF line info of the object's code sections (absent BTF: no lines) */
int bpf_read_lines(struct arena *a, struct bpf_object *obj, const uint8_t *btf, size_t btf_size,
                   const uint8_t *ext, size_t ext_size, struct diag *d);

#endif
