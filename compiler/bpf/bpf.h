/* The eBPF stage of zsc: eBPF C -> clang -target bpf -> ELF object(s) -> one
 * linked, verified struct bpf_program (program.h), plus its --emit=bpf text.
 * The lifter (lift.h) takes the program from here. */
#ifndef ZSC_BPF_H
#define ZSC_BPF_H

#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/diag.h"
#include "base/strbuf.h"
#include "bpf/program.h"

struct bpf_compile_options {
  const char *clang;                  /* NULL: the clang found at build time */
  const char *source_name;            /* file name clang sees ("site.bpf.c"); NULL: "program.bpf.c" */
  const char *const *include_dirs;    /* passed as -I, in order */
  size_t include_count;
  const char *const *defines;         /* "NAME" or "NAME=VALUE", passed as -D */
  size_t define_count;
};

/* the clang zsc runs when the options name none */
const char *bpf_default_clang(void);

/* Compiles a C source to an eBPF ELF relocatable with
 * `clang -target bpf -mcpu=v4 -O2 -g -ffreestanding -c` in a private temporary
 * folder (removed afterwards). clang's diagnostics go to d->out unchanged (they
 * already point at the Caddyfile through #line), each error counted in d.
 * Returns 0 with the object in *elf (arena), or -1. */
int bpf_compile(struct arena *a, const char *source, size_t len, const struct bpf_compile_options *opt,
                uint8_t **elf, size_t *elf_size, struct diag *d);

/* One eBPF ELF relocatable as read: sections, symbols, relocations, subprograms,
 * rodata and BTF line info. Opaque; only bpf_link looks inside. */
struct bpf_object;

/* Reads an ELF relocatable (bytes are copied into the arena). name is used in
 * messages. Refuses writable globals (.data, .bss), maps, non-eBPF or
 * non-relocatable files. Returns 0 or -1 after reporting. */
int bpf_read(struct arena *a, const char *name, const uint8_t *elf, size_t size,
             struct bpf_object **out, struct diag *d);
int bpf_read_file(struct arena *a, const char *path, struct bpf_object **out, struct diag *d);

/* Makes obj an ebpf program linked beside the site: its global function
 * zs_handle is renamed entry_name (kept, not copied: it must outlive the
 * link), its other globals become local to it, and its functions count as
 * the program's own (bpf_func.object 0) in listings. Returns 0, or -1 when it
 * has no zs_handle. */
int bpf_object_as_plugin(struct bpf_object *obj, const char *entry_name, struct diag *d);

/* Links objects into one program: functions of every object in order (object,
 * section, address), global symbols resolved across objects, pseudo calls made
 * relative, rodata sections laid out (aligned) and ld_imm64 of rodata turned
 * into the constant ZS_CAGE_RODATA_OFF + offset, pointers inside rodata
 * relocated the same way, line info mapped to final instruction indices.
 * Entry functions are the global functions named zs_entry_*; functions no
 * chain of calls from an entry reaches are dropped (a program without
 * entries is kept whole). Refuses unknown relocation types and symbols no
 * object defines. Returns 0 or -1. */
int bpf_link(struct arena *a, struct bpf_object *const *objs, size_t count,
             struct bpf_program *out, struct diag *d);

/* Checks every instruction, jump, call and function (see verify.c for the
 * rules) and fills each function's stack_size (rounded up to 8 bytes) and
 * max_chain_stack (the sum of stack_size along its deepest call chain).
 * Errors name the instruction index, the function and the source line.
 * Returns 0 or -1 after reporting every problem found. */
int bpf_verify(struct bpf_program *prog, struct diag *d);

/* The --emit=bpf listing: function labels, source lines, one line per
 * instruction (`  idx: <hex bytes>  <asm>`), then a rodata summary. */
void bpf_disasm(const struct bpf_program *prog, struct strbuf *out);
/* The same listing with the library functions (bpf_func.object > 0) named in
 * a list instead of printed: what the program itself compiled to. */
void bpf_disasm_own(const struct bpf_program *prog, struct strbuf *out);

/* The line info entry covering instruction pc (the last one at or before it
 * inside the same function), or NULL. */
const struct bpf_line *bpf_program_line(const struct bpf_program *prog, size_t pc);
/* The function holding instruction pc, or NULL. */
const struct bpf_func *bpf_program_func(const struct bpf_program *prog, size_t pc);

#endif
