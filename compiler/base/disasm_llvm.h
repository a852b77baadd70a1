/* LLVM's disassembler, loaded when first needed. zsc links no LLVM: only the
 * listings (--emit=bpf, --emit=asm, explore) pay for loading the library,
 * so compiling and `zsc adapt` start in milliseconds. */
#ifndef ZSC_DISASM_LLVM_H
#define ZSC_DISASM_LLVM_H

#include <stddef.h>
#include <stdint.h>

struct disasm_llvm;

/* triple "bpfel", "x86_64-linux-gnu" or "aarch64-linux-gnu"; cpu may be NULL.
 * NULL when LLVM cannot be loaded or knows no such target. */
struct disasm_llvm *disasm_llvm_open(const char *triple, const char *cpu);

/* one instruction at bytes (pc is its address, for branch targets) into
 * out; returns its size, 0 when the bytes are no instruction */
size_t disasm_llvm_insn(struct disasm_llvm *d, const uint8_t *bytes, size_t len, uint64_t pc, char *out,
                        size_t cap);

void disasm_llvm_close(struct disasm_llvm *d);

#endif
