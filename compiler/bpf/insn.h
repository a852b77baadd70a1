/* eBPF instruction encoding for -mcpu=v4: classes, opcodes, modes and the
 * field accessors the reader, linker, verifier and disassembler share.
 * Own names (BPF_CLASS_*, BPF_ALU_*, ...) so it never clashes with <linux/bpf.h>. */
#ifndef ZSC_BPF_INSN_H
#define ZSC_BPF_INSN_H

#include <stdbool.h>

#include "program.h"

enum bpf_insn_class {
  BPF_CLASS_LD = 0x00, BPF_CLASS_LDX = 0x01, BPF_CLASS_ST = 0x02, BPF_CLASS_STX = 0x03,
  BPF_CLASS_ALU = 0x04, BPF_CLASS_JMP = 0x05, BPF_CLASS_JMP32 = 0x06, BPF_CLASS_ALU64 = 0x07,
};

/* source operand bit of ALU and JMP: immediate or register */
enum bpf_insn_source { BPF_SRC_K = 0x00, BPF_SRC_X = 0x08 };

enum bpf_alu_op {
  BPF_ALU_ADD = 0x00, BPF_ALU_SUB = 0x10, BPF_ALU_MUL = 0x20, BPF_ALU_DIV = 0x30,
  BPF_ALU_OR = 0x40, BPF_ALU_AND = 0x50, BPF_ALU_LSH = 0x60, BPF_ALU_RSH = 0x70,
  BPF_ALU_NEG = 0x80, BPF_ALU_MOD = 0x90, BPF_ALU_XOR = 0xa0, BPF_ALU_MOV = 0xb0,
  BPF_ALU_ARSH = 0xc0, BPF_ALU_END = 0xd0,
};

enum bpf_jmp_op {
  BPF_JMP_JA = 0x00, BPF_JMP_JEQ = 0x10, BPF_JMP_JGT = 0x20, BPF_JMP_JGE = 0x30,
  BPF_JMP_JSET = 0x40, BPF_JMP_JNE = 0x50, BPF_JMP_JSGT = 0x60, BPF_JMP_JSGE = 0x70,
  BPF_JMP_CALL = 0x80, BPF_JMP_EXIT = 0x90, BPF_JMP_JLT = 0xa0, BPF_JMP_JLE = 0xb0,
  BPF_JMP_JSLT = 0xc0, BPF_JMP_JSLE = 0xd0,
};

enum bpf_mem_size { BPF_SIZE_W = 0x00, BPF_SIZE_H = 0x08, BPF_SIZE_B = 0x10, BPF_SIZE_DW = 0x18 };
enum bpf_mem_mode { BPF_MODE_IMM = 0x00, BPF_MODE_MEM = 0x60, BPF_MODE_MEMSX = 0x80, BPF_MODE_ATOMIC = 0xc0 };

/* atomic operations (imm of BPF_STX | BPF_MODE_ATOMIC) */
enum bpf_atomic_op {
  BPF_ATOMIC_ADD = 0x00, BPF_ATOMIC_OR = 0x40, BPF_ATOMIC_AND = 0x50, BPF_ATOMIC_XOR = 0xa0,
  BPF_ATOMIC_FETCH = 0x01, BPF_ATOMIC_XCHG = 0xe0 | 0x01, BPF_ATOMIC_CMPXCHG = 0xf0 | 0x01,
};

/* src_reg values with a meaning of their own */
enum bpf_pseudo {
  BPF_PSEUDO_HELPER = 0,       /* call: imm is a helper id */
  BPF_PSEUDO_LOCAL_CALL = 1,   /* call: imm is the relative target; ld_imm64: map fd (refused) */
  BPF_PSEUDO_KFUNC = 2,        /* call: kernel function (refused) */
  BPF_PSEUDO_FUNC_ADDR = 4,    /* ld_imm64: address of a function (refused) */
};

#define BPF_OPCODE_LD_IMM64 (BPF_CLASS_LD | BPF_MODE_IMM | BPF_SIZE_DW)   /* 0x18 */
#define BPF_OPCODE_CALL     (BPF_CLASS_JMP | BPF_JMP_CALL)                /* 0x85 */
#define BPF_OPCODE_EXIT     (BPF_CLASS_JMP | BPF_JMP_EXIT)                /* 0x95 */
#define BPF_OPCODE_JA       (BPF_CLASS_JMP | BPF_JMP_JA)                  /* 0x05 */
#define BPF_OPCODE_GOTOL    (BPF_CLASS_JMP32 | BPF_JMP_JA)                /* 0x06 */

static inline unsigned bpf_insn_class(const struct bpf_insn *in) { return in->code & 0x07; }
static inline unsigned bpf_insn_op(const struct bpf_insn *in) { return in->code & 0xf0; }
static inline unsigned bpf_insn_source(const struct bpf_insn *in) { return in->code & 0x08; }
static inline unsigned bpf_insn_size(const struct bpf_insn *in) { return in->code & 0x18; }
static inline unsigned bpf_insn_mode(const struct bpf_insn *in) { return in->code & 0xe0; }

static inline bool bpf_insn_is_ld_imm64(const struct bpf_insn *in) { return in->code == BPF_OPCODE_LD_IMM64; }
static inline bool bpf_insn_is_local_call(const struct bpf_insn *in)
{
  return in->code == BPF_OPCODE_CALL && in->src == BPF_PSEUDO_LOCAL_CALL;
}

/* bytes moved by a load or store of this size */
static inline unsigned bpf_insn_size_bytes(const struct bpf_insn *in)
{
  switch (bpf_insn_size(in)) {
  case BPF_SIZE_B: return 1;
  case BPF_SIZE_H: return 2;
  case BPF_SIZE_W: return 4;
  default: return 8;
  }
}

/* a jump with a target inside the function (not call, not exit) */
static inline bool bpf_insn_is_jump(const struct bpf_insn *in)
{
  unsigned cls = bpf_insn_class(in), op = bpf_insn_op(in);
  return (cls == BPF_CLASS_JMP || cls == BPF_CLASS_JMP32) && op != BPF_JMP_CALL && op != BPF_JMP_EXIT;
}

/* the target of a jump at pc: gotol (JMP32 | JA) carries its offset in imm */
static inline long long bpf_insn_jump_target(const struct bpf_insn *in, long long pc)
{
  if (in->code == BPF_OPCODE_GOTOL)
    return pc + 1 + in->imm;
  return pc + 1 + in->off;
}

#endif
