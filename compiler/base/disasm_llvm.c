/* LLVM-C's disassembler through dlopen: the few entry points zsc uses,
 * resolved once from the library the build found. */
#include "disasm_llvm.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#ifndef ZSC_LIBLLVM
#define ZSC_LIBLLVM "libLLVM.so.19.1"
#endif

enum { DISASM_LLVM_PRINT_IMM_HEX = 2 };   /* LLVMDisassembler_Option_PrintImmHex */

typedef void *(*disasm_create_fn)(const char *triple, const char *cpu, const char *features, void *info,
                                  int tag_type, void *op_info, void *sym_lookup);
typedef size_t (*disasm_insn_fn)(void *dc, uint8_t *bytes, uint64_t len, uint64_t pc, char *out, size_t cap);
typedef int (*disasm_options_fn)(void *dc, uint64_t options);
typedef void (*disasm_dispose_fn)(void *dc);
typedef void (*disasm_init_fn)(void);

struct disasm_llvm {
  void *lib, *dc;
  disasm_insn_fn insn;
  disasm_dispose_fn dispose;
};

/* the target's three initialisers (TargetInfo, TargetMC, Disassembler) */
static int disasm_llvm_init_target(void *lib, const char *triple)
{
  const char *name = strncmp(triple, "bpf", 3) == 0 ? "BPF" : strncmp(triple, "aarch64", 7) == 0 ? "AArch64" : "X86";
  static const char *const parts[] = {"TargetInfo", "TargetMC", "Disassembler"};
  for (size_t i = 0; i < 3; i++) {
    char sym[64];
    strcpy(sym, "LLVMInitialize");
    strcat(sym, name);
    strcat(sym, parts[i]);
    disasm_init_fn init = (disasm_init_fn)dlsym(lib, sym);
    if (!init)
      return -1;
    init();
  }
  return 0;
}

struct disasm_llvm *disasm_llvm_open(const char *triple, const char *cpu)
{
  void *lib = dlopen(ZSC_LIBLLVM, RTLD_NOW | RTLD_LOCAL);
  if (!lib)
    return NULL;
  disasm_create_fn create = (disasm_create_fn)dlsym(lib, "LLVMCreateDisasmCPU");
  disasm_options_fn options = (disasm_options_fn)dlsym(lib, "LLVMSetDisasmOptions");
  struct disasm_llvm *d = calloc(1, sizeof *d);
  if (d) {
    d->lib = lib;
    d->insn = (disasm_insn_fn)dlsym(lib, "LLVMDisasmInstruction");
    d->dispose = (disasm_dispose_fn)dlsym(lib, "LLVMDisasmDispose");
  }
  if (!d || !create || !options || !d->insn || !d->dispose || disasm_llvm_init_target(lib, triple) < 0 ||
      !(d->dc = create(triple, cpu ? cpu : "", "", NULL, 0, NULL, NULL))) {
    free(d);
    dlclose(lib);
    return NULL;
  }
  options(d->dc, DISASM_LLVM_PRINT_IMM_HEX);
  return d;
}

size_t disasm_llvm_insn(struct disasm_llvm *d, const uint8_t *bytes, size_t len, uint64_t pc, char *out,
                        size_t cap)
{
  return d->insn(d->dc, (uint8_t *)bytes, len, pc, out, cap);
}

void disasm_llvm_close(struct disasm_llvm *d)
{
  if (!d)
    return;
  d->dispose(d->dc);
  dlclose(d->lib);
  free(d);
}
