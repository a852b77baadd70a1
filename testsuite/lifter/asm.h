/* A tiny eBPF assembler as C macros, for hand-written test vectors:
 * each macro is one struct bpf_insn initializer (LD_IMM64 is two). */
#ifndef ZS_TEST_LIFTER_ASM_H
#define ZS_TEST_LIFTER_ASM_H

#include "compiler/bpf/program.h"

#define I(c, d, s, o, i) ((struct bpf_insn){.code = (c), .dst = (d), .src = (s), .off = (o), .imm = (i)})

/* classes and fields */
#define A_LD 0x00
#define A_LDX 0x01
#define A_ST 0x02
#define A_STX 0x03
#define A_ALU 0x04
#define A_JMP 0x05
#define A_JMP32 0x06
#define A_ALU64 0x07
#define A_K 0x00
#define A_X 0x08
#define A_W 0x00
#define A_H 0x08
#define A_B 0x10
#define A_DW 0x18
#define A_MEM 0x60
#define A_MEMSX 0x80
#define A_ATOMIC 0xc0

/* ALU ops */
#define OP_ADD 0x00
#define OP_SUB 0x10
#define OP_MUL 0x20
#define OP_DIV 0x30
#define OP_OR 0x40
#define OP_AND 0x50
#define OP_LSH 0x60
#define OP_RSH 0x70
#define OP_NEG 0x80
#define OP_MOD 0x90
#define OP_XOR 0xa0
#define OP_MOV 0xb0
#define OP_ARSH 0xc0
#define OP_END 0xd0

/* JMP ops */
#define OP_JA 0x00
#define OP_JEQ 0x10
#define OP_JGT 0x20
#define OP_JGE 0x30
#define OP_JSET 0x40
#define OP_JNE 0x50
#define OP_JSGT 0x60
#define OP_JSGE 0x70
#define OP_JLT 0xa0
#define OP_JLE 0xb0
#define OP_JSLT 0xc0
#define OP_JSLE 0xd0

#define ALU64_IMM(op, d, imm) I(A_ALU64 | A_K | (op), d, 0, 0, imm)
#define ALU64_REG(op, d, s) I(A_ALU64 | A_X | (op), d, s, 0, 0)
#define ALU32_IMM(op, d, imm) I(A_ALU | A_K | (op), d, 0, 0, imm)
#define ALU32_REG(op, d, s) I(A_ALU | A_X | (op), d, s, 0, 0)
/* signed div/mod: off = 1 */
#define SALU64_IMM(op, d, imm) I(A_ALU64 | A_K | (op), d, 0, 1, imm)
#define SALU64_REG(op, d, s) I(A_ALU64 | A_X | (op), d, s, 1, 0)
#define SALU32_IMM(op, d, imm) I(A_ALU | A_K | (op), d, 0, 1, imm)
#define SALU32_REG(op, d, s) I(A_ALU | A_X | (op), d, s, 1, 0)
#define MOV64_IMM(d, imm) ALU64_IMM(OP_MOV, d, imm)
#define MOV64_REG(d, s) ALU64_REG(OP_MOV, d, s)
#define MOV32_IMM(d, imm) ALU32_IMM(OP_MOV, d, imm)
#define MOV32_REG(d, s) ALU32_REG(OP_MOV, d, s)
#define MOVSX64(d, s, bits) I(A_ALU64 | A_X | OP_MOV, d, s, bits, 0)
#define MOVSX32(d, s, bits) I(A_ALU | A_X | OP_MOV, d, s, bits, 0)
#define NEG64(d) I(A_ALU64 | OP_NEG, d, 0, 0, 0)
#define NEG32(d) I(A_ALU | OP_NEG, d, 0, 0, 0)
#define TO_LE(d, bits) I(A_ALU | A_K | OP_END, d, 0, 0, bits)
#define TO_BE(d, bits) I(A_ALU | A_X | OP_END, d, 0, 0, bits)
#define BSWAP(d, bits) I(A_ALU64 | A_K | OP_END, d, 0, 0, bits)

#define LD_IMM64(d, v) I(A_LD | A_DW, d, 0, 0, (int)(unsigned)(unsigned long long)(v)), \
                       I(0, 0, 0, 0, (int)(unsigned)((unsigned long long)(v) >> 32))
#define LDX(size, d, s, off) I(A_LDX | A_MEM | (size), d, s, off, 0)
#define LDSX(size, d, s, off) I(A_LDX | A_MEMSX | (size), d, s, off, 0)
#define STX(size, d, s, off) I(A_STX | A_MEM | (size), d, s, off, 0)
#define ST(size, d, off, imm) I(A_ST | A_MEM | (size), d, 0, off, imm)
#define ATOMIC(size, d, s, off, op) I(A_STX | A_ATOMIC | (size), d, s, off, op)

#define JA(off) I(A_JMP | OP_JA, 0, 0, off, 0)
#define GOTOL(off) I(A_JMP32 | OP_JA, 0, 0, 0, off)
#define JMP_IMM(op, d, imm, off) I(A_JMP | A_K | (op), d, 0, off, imm)
#define JMP_REG(op, d, s, off) I(A_JMP | A_X | (op), d, s, off, 0)
#define JMP32_IMM(op, d, imm, off) I(A_JMP32 | A_K | (op), d, 0, off, imm)
#define JMP32_REG(op, d, s, off) I(A_JMP32 | A_X | (op), d, s, off, 0)
#define CALL_HELPER(id) I(A_JMP | 0x80, 0, 0, 0, id)
#define CALL_LOCAL(rel) I(A_JMP | 0x80, 0, 1, 0, rel)
#define EXIT() I(A_JMP | 0x90, 0, 0, 0, 0)

#endif
