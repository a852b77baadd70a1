/* A linked eBPF program: the functions of the generated C and of stdlib-bpf
 * that its entries reach, in one instruction array, calls resolved, rodata
 * laid out for the cage. The
 * contract between the bpf stage (reader, linker, verifier) and the lifter,
 * the interpreter and the blob writer. */
#ifndef ZSC_BPF_PROGRAM_H
#define ZSC_BPF_PROGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* one 8-byte instruction, exactly as in the ELF (little-endian) */
struct bpf_insn {
  uint8_t code;
  uint8_t dst : 4;
  uint8_t src : 4;
  int16_t off;
  int32_t imm;
};

struct bpf_func {
  const char *name;
  uint32_t start, end;         /* instruction indices [start, end) in the program */
  uint32_t stack_size;         /* bytes below r10 this function uses (verifier) */
  uint32_t max_chain_stack;    /* this function plus its deepest callee chain (verifier) */
  bool is_entry;               /* a zs_entry_* function: exported to the runtime */
  uint32_t object;             /* the bpf_link object it comes from: 0 is the program's
                                  own (the generated code and ebpf programs), the others
                                  are libraries (stdlib-bpf) */
};

/* BTF line info: which source line an instruction comes from */
struct bpf_line {
  uint32_t insn;
  const char *file;            /* the Caddyfile (through #line) or a stdlib-bpf source */
  uint32_t line, col;
  const char *text;            /* the source line's text when BTF has it, else NULL */
};

struct bpf_program {
  struct bpf_insn *insns;
  size_t insn_count;
  /* After linking: a pseudo call (BPF_CALL with src == BPF_PSEUDO_CALL) has
   * imm = target - (pc + 1); a 64-bit immediate load of a rodata address holds
   * ZS_CAGE_RODATA_OFF + offset (src 0, a plain constant); helper calls keep
   * their helper id in imm. */
  struct bpf_func *funcs;      /* sorted by start; together they cover insns */
  size_t func_count;
  uint8_t *rodata;             /* mapped at ZS_CAGE_RODATA_OFF */
  size_t rodata_size;
  struct bpf_line *lines;      /* sorted by insn */
  size_t line_count;
};

#endif
