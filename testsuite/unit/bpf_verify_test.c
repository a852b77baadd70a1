/* The verifier: accepts what clang -mcpu=v4 emits (loops, atomics, signed
 * division, byte swaps, sign-extending moves and loads), rejects hand-made bad
 * programs with a message naming the instruction, and computes stack sizes. */
#include <string.h>

#include "abi/cage.h"
#include "abi/helpers.h"
#include "bpf/insn.h"
#include "bpf_test_util.h"

static const char v4_c[] =
  "typedef unsigned long u64; typedef unsigned int u32;\n"
  "static long (*const zs_var_read)(long, void *, long, long) = (void *)9;\n"
  "static __attribute__((noinline)) long divs(long a, long b) { return a / b + a % b; }\n"
  "static __attribute__((noinline)) int divs32(int a, int b) { return a / b + a % b; }\n"
  "int zs_entry_v4(u64 r1)\n"
  "{\n"
  "  u64 counter = r1; u32 c32 = (u32)r1; signed char bytes[16];\n"
  "  zs_var_read(1, bytes, sizeof bytes, 0);\n"
  "  __sync_fetch_and_add(&counter, 3);\n"
  "  u64 old = __sync_fetch_and_or(&counter, 8);\n"
  "  __atomic_fetch_and(&c32, 0xff, __ATOMIC_SEQ_CST);\n"
  "  u32 x = __atomic_fetch_xor(&c32, 5, __ATOMIC_SEQ_CST);\n"
  "  u64 prev = __atomic_exchange_n(&counter, 7, __ATOMIC_SEQ_CST);\n"
  "  u64 cas = __sync_val_compare_and_swap(&counter, 7, 9);\n"
  "  u32 cas32 = __sync_val_compare_and_swap(&c32, 1, 2);\n"
  "  long acc = 0;\n"
  "  for (int i = 0; i < (int)(r1 & 15); i++) acc += bytes[i];\n"
  "  acc += (long)(signed char)r1 + (long)(short)(r1 >> 8) + (long)(int)(r1 >> 16);\n"
  "  acc += __builtin_bswap64(counter) + __builtin_bswap32(c32) + __builtin_bswap16((unsigned short)x);\n"
  "  acc += divs((long)r1, (long)old | 1) + divs32((int)prev, (int)cas | 1) + cas32;\n"
  "  return (int)acc;\n"
  "}\n";

/* the v4 opcodes the program above must contain, so the test proves they pass */
static void check_v4_coverage(const struct bpf_program *p)
{
  int sdiv = 0, movsx = 0, ldsx = 0, bswap = 0, atomic = 0, cmpxchg = 0, back_jump = 0;
  for (size_t pc = 0; pc < p->insn_count; pc++) {
    const struct bpf_insn *in = &p->insns[pc];
    unsigned cls = bpf_insn_class(in), op = bpf_insn_op(in);
    bool alu = cls == BPF_CLASS_ALU || cls == BPF_CLASS_ALU64;
    sdiv += alu && (op == BPF_ALU_DIV || op == BPF_ALU_MOD) && in->off == 1;
    movsx += alu && op == BPF_ALU_MOV && in->off != 0;
    ldsx += cls == BPF_CLASS_LDX && bpf_insn_mode(in) == BPF_MODE_MEMSX;
    bswap += cls == BPF_CLASS_ALU64 && op == BPF_ALU_END;
    atomic += cls == BPF_CLASS_STX && bpf_insn_mode(in) == BPF_MODE_ATOMIC;
    cmpxchg += cls == BPF_CLASS_STX && bpf_insn_mode(in) == BPF_MODE_ATOMIC && in->imm == BPF_ATOMIC_CMPXCHG;
    back_jump += bpf_insn_is_jump(in) && bpf_insn_jump_target(in, (long long)pc) <= (long long)pc;
  }
  CHECK(sdiv >= 2);
  CHECK(movsx >= 1);
  CHECK(ldsx >= 1);
  CHECK(bswap >= 2);
  CHECK(atomic >= 6);
  CHECK(cmpxchg >= 2);
  CHECK(back_jump >= 1);
}

static void test_accepts_clang_v4(struct arena *a)
{
  struct test_diag t;
  test_diag_open(&t);
  uint8_t *elf;
  size_t size;
  struct bpf_object *obj = NULL;
  struct bpf_program p;
  int rc = bpf_compile(a, v4_c, strlen(v4_c), NULL, &elf, &size, &t.d);
  rc = rc ? rc : bpf_read(a, "v4.o", elf, size, &obj, &t.d);
  rc = rc ? rc : bpf_link(a, &obj, 1, &p, &t.d);
  rc = rc ? rc : bpf_verify(&p, &t.d);
  const char *msgs = test_diag_close(&t);
  CHECK(rc == 0);
  if (rc == 0) {
    check_v4_coverage(&p);
    CHECK(p.funcs[0].stack_size >= 16 && p.funcs[0].stack_size <= ZS_MAX_FRAME_STACK);
    struct strbuf sb;
    strbuf_init(&sb, a);
    bpf_disasm(&p, &sb);
    CHECK(strstr(strbuf_cstr(&sb), "<unknown") == NULL);
    CHECK(strstr(strbuf_cstr(&sb), "helper var_read"));
  }
  if (rc)
    fprintf(stderr, "%s", msgs);
  test_diag_free(&t);
}

/* a program built by hand: functions of the given lengths over insns */
struct hand {
  struct bpf_insn insns[64];
  struct bpf_func funcs[16];
  struct bpf_line line;
  struct bpf_program prog;
};

static void hand_init(struct hand *h, const struct bpf_insn *insns, size_t count,
                      const uint32_t *func_lens, size_t func_count)
{
  static const char *const names[] = { "f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "f9" };
  memset(h, 0, sizeof *h);
  memcpy(h->insns, insns, count * sizeof *insns);
  uint32_t at = 0;
  for (size_t i = 0; i < func_count; i++) {
    h->funcs[i] = (struct bpf_func){ .name = names[i], .start = at, .end = at + func_lens[i], .is_entry = i == 0 };
    at += func_lens[i];
  }
  h->prog = (struct bpf_program){ .insns = h->insns, .insn_count = count, .funcs = h->funcs, .func_count = func_count };
}

/* verifies; returns the rc and checks want (if any) is in the messages */
static int hand_verify(struct hand *h, const char *want)
{
  struct test_diag t;
  test_diag_open(&t);
  int rc = bpf_verify(&h->prog, &t.d);
  const char *msgs = test_diag_close(&t);
  if (want && !strstr(msgs, want)) {
    fprintf(stderr, "expected '%s' in: %s\n", want, msgs);
    test_failures++;
  }
  test_diag_free(&t);
  return rc;
}

#define INSNS(...) ((const struct bpf_insn[]){ __VA_ARGS__ })
#define NINSNS(...) (sizeof((const struct bpf_insn[]){ __VA_ARGS__ }) / sizeof(struct bpf_insn))
#define ONE_FUNC(h, ...) hand_init(h, INSNS(__VA_ARGS__), NINSNS(__VA_ARGS__), (uint32_t[]){ NINSNS(__VA_ARGS__) }, 1)

#define MOV_K(d, k) test_insn(BPF_CLASS_ALU64 | BPF_ALU_MOV | BPF_SRC_K, d, 0, 0, k)
#define MOV_X(d, s) test_insn(BPF_CLASS_ALU64 | BPF_ALU_MOV | BPF_SRC_X, d, s, 0, 0)
#define ADD_K(d, k) test_insn(BPF_CLASS_ALU64 | BPF_ALU_ADD | BPF_SRC_K, d, 0, 0, k)
#define ST_DW(d, off) test_insn(BPF_CLASS_ST | BPF_MODE_MEM | BPF_SIZE_DW, d, 0, off, 0)
#define STX_DW(d, s, off) test_insn(BPF_CLASS_STX | BPF_MODE_MEM | BPF_SIZE_DW, d, s, off, 0)
#define JA(off) test_insn(BPF_OPCODE_JA, 0, 0, off, 0)
#define CALL_LOCAL(rel) test_insn(BPF_OPCODE_CALL, 0, BPF_PSEUDO_LOCAL_CALL, 0, rel)
#define CALL_HELPER(id) test_insn(BPF_OPCODE_CALL, 0, 0, 0, id)
#define EXIT() test_insn(BPF_OPCODE_EXIT, 0, 0, 0, 0)
#define LD64(d) test_insn(BPF_OPCODE_LD_IMM64, d, 0, 0, 1), test_insn(0, 0, 0, 0, 0)

static void test_rejects_single(void)
{
  struct hand h;
  ONE_FUNC(&h, MOV_K(0, 0), test_insn(0xe7, 1, 0, 0, 0), EXIT());
  CHECK(hand_verify(&h, "eBPF instruction 1 in f0: unknown opcode 0xe7") < 0);
  ONE_FUNC(&h, MOV_K(0, 0), test_insn(0x20, 0, 0, 0, 0), EXIT());   /* legacy LD_ABS */
  CHECK(hand_verify(&h, "unknown opcode 0x20") < 0);
  ONE_FUNC(&h, MOV_K(0, 0), JA(10), EXIT());
  CHECK(hand_verify(&h, "jump to instruction 12, outside f0") < 0);
  ONE_FUNC(&h, MOV_K(0, 0), JA(-3), EXIT());
  CHECK(hand_verify(&h, "outside f0") < 0);
  ONE_FUNC(&h, JA(1), LD64(1), MOV_K(0, 0), EXIT());
  CHECK(hand_verify(&h, "jump into the middle of the ld_imm64 at 1") < 0);
  ONE_FUNC(&h, CALL_HELPER(9999), EXIT());
  CHECK(hand_verify(&h, "unknown helper 9999") < 0);
  ONE_FUNC(&h, MOV_K(10, 0), EXIT());
  CHECK(hand_verify(&h, "writes r10") < 0);
  ONE_FUNC(&h, test_insn(BPF_CLASS_LDX | BPF_MODE_MEM | BPF_SIZE_DW, 10, 1, 0, 0), EXIT());
  CHECK(hand_verify(&h, "writes r10") < 0);
  ONE_FUNC(&h, MOV_K(0, 0), test_insn(BPF_CLASS_ALU64 | BPF_ALU_ADD | BPF_SRC_X, 0, 11, 0, 0), EXIT());
  CHECK(hand_verify(&h, "register r11 does not exist") < 0);
  ONE_FUNC(&h, ST_DW(10, -520), MOV_K(0, 0), EXIT());
  CHECK(hand_verify(&h, "uses 520 bytes of stack, more than the 512") < 0);
  ONE_FUNC(&h, MOV_K(0, 1));
  CHECK(hand_verify(&h, "does not end in exit or ja") < 0);
  ONE_FUNC(&h, MOV_K(0, 0), LD64(1));
  CHECK(hand_verify(&h, NULL) < 0);
  ONE_FUNC(&h, test_insn(BPF_CLASS_ALU64 | BPF_ALU_DIV | BPF_SRC_K, 0, 0, 0, 0), EXIT());
  CHECK(hand_verify(&h, "division by the constant zero") < 0);
  ONE_FUNC(&h, test_insn(BPF_CLASS_ALU | BPF_ALU_MOV | BPF_SRC_X, 0, 1, 32, 0), EXIT());   /* movsx32 in ALU */
  CHECK(hand_verify(&h, "bad offset 32") < 0);
  ONE_FUNC(&h, test_insn(BPF_CLASS_STX | BPF_MODE_ATOMIC | BPF_SIZE_DW, 10, 10, -8, BPF_ATOMIC_XCHG), EXIT());
  CHECK(hand_verify(&h, "atomic fetch into r10") < 0);
  ONE_FUNC(&h, test_insn(BPF_CLASS_STX | BPF_MODE_ATOMIC | BPF_SIZE_B, 10, 1, -8, BPF_ATOMIC_ADD), EXIT());
  CHECK(hand_verify(&h, "unknown opcode") < 0);
  ONE_FUNC(&h, test_insn(BPF_OPCODE_CALL, 0, BPF_PSEUDO_KFUNC, 0, 1), EXIT());
  CHECK(hand_verify(&h, "kernel functions are not supported") < 0);
}

static void test_accepts_single(void)
{
  struct hand h;
  ONE_FUNC(&h, MOV_K(0, 0), test_insn(BPF_OPCODE_GOTOL, 0, 0, 0, 1), MOV_K(0, 1), EXIT());
  CHECK(hand_verify(&h, NULL) == 0);
  ONE_FUNC(&h, ST_DW(10, -512), MOV_K(0, 0), EXIT());
  CHECK(hand_verify(&h, NULL) == 0);
  CHECK(h.funcs[0].stack_size == 512);
  /* a copy of r10 with a constant add: the access is at r10 - 64 */
  ONE_FUNC(&h, MOV_X(1, 10), ADD_K(1, -64), ST_DW(1, 0), MOV_K(0, 0), EXIT());
  CHECK(hand_verify(&h, NULL) == 0);
  CHECK(h.funcs[0].stack_size == 64);
  /* r10 + 0 .. -12 rounds up to 16 */
  ONE_FUNC(&h, test_insn(BPF_CLASS_ST | BPF_MODE_MEM | BPF_SIZE_W, 10, 0, -12, 7), MOV_K(0, 0), EXIT());
  CHECK(hand_verify(&h, NULL) == 0);
  CHECK(h.funcs[0].stack_size == 16);
  /* the stack pointer spilled to memory: no longer followed, the whole frame counts */
  ONE_FUNC(&h, MOV_X(1, 10), ADD_K(1, -8), STX_DW(10, 1, -16), MOV_K(0, 0), EXIT());
  CHECK(hand_verify(&h, NULL) == 0);
  CHECK(h.funcs[0].stack_size == ZS_MAX_FRAME_STACK);
  /* merged from two paths with different offsets, then used */
  ONE_FUNC(&h, MOV_X(1, 10), ADD_K(1, -8),
           test_insn(BPF_CLASS_JMP | BPF_JMP_JEQ | BPF_SRC_K, 2, 0, 1, 0), ADD_K(1, -8),
           ST_DW(1, 0), MOV_K(0, 0), EXIT());
  CHECK(hand_verify(&h, NULL) == 0);
  CHECK(h.funcs[0].stack_size == ZS_MAX_FRAME_STACK);
  ONE_FUNC(&h, CALL_HELPER(ZS_HELPER_resp_status), EXIT());
  CHECK(hand_verify(&h, NULL) == 0);
}

/* count functions in a chain: f0 calls f1 calls ... ; each uses 16 bytes */
static void hand_chain(struct hand *h, size_t count)
{
  struct bpf_insn insns[64];
  uint32_t lens[16];
  size_t n = 0;
  for (size_t i = 0; i < count; i++) {
    insns[n++] = ST_DW(10, -16);
    if (i + 1 < count)
      insns[n++] = CALL_LOCAL(1);   /* the next function starts after our exit */
    insns[n++] = EXIT();
    lens[i] = i + 1 < count ? 3 : 2;
  }
  hand_init(h, insns, n, lens, count);
}

static void test_call_graph(void)
{
  struct hand h;
  hand_chain(&h, ZS_MAX_CALL_DEPTH);
  CHECK(hand_verify(&h, NULL) == 0);
  CHECK(h.funcs[0].stack_size == 16);
  CHECK(h.funcs[0].max_chain_stack == 16 * ZS_MAX_CALL_DEPTH);
  CHECK(h.funcs[ZS_MAX_CALL_DEPTH - 1].max_chain_stack == 16);
  hand_chain(&h, ZS_MAX_CALL_DEPTH + 1);
  CHECK(hand_verify(&h, "calls nest 9 frames deep, more than the 8 allowed") < 0);
  /* f0 -> f1 -> f0 */
  hand_init(&h, INSNS(CALL_LOCAL(1), EXIT(), CALL_LOCAL(-3), EXIT()), 4, (uint32_t[]){ 2, 2 }, 2);
  CHECK(hand_verify(&h, "recursion is not allowed: f0 -> f1 -> f0") < 0);
  /* f0 -> f0 */
  ONE_FUNC(&h, CALL_LOCAL(-1), EXIT());
  CHECK(hand_verify(&h, "recursion is not allowed: f0 -> f0") < 0);
  /* a call into the middle of f1 */
  hand_init(&h, INSNS(CALL_LOCAL(2), EXIT(), MOV_K(0, 0), EXIT()), 4, (uint32_t[]){ 2, 2 }, 2);
  CHECK(hand_verify(&h, "call to instruction 3, which is not the start of a function") < 0);
  /* a jump into the next function */
  hand_init(&h, INSNS(JA(1), EXIT(), MOV_K(0, 0), EXIT()), 4, (uint32_t[]){ 2, 2 }, 2);
  CHECK(hand_verify(&h, "outside f0") < 0);
}

static void test_message_has_source_line(void)
{
  struct hand h;
  ONE_FUNC(&h, MOV_K(0, 0), MOV_K(10, 1), EXIT());
  h.line = (struct bpf_line){ .insn = 1, .file = "Caddyfile", .line = 3, .col = 2 };
  h.prog.lines = &h.line;
  h.prog.line_count = 1;
  CHECK(hand_verify(&h, "Caddyfile:3:2: error: eBPF instruction 1 in f0: writes r10") < 0);
}

/* the listing format is the golden format of --emit=bpf: exact text */
static void test_listing_format(struct arena *a)
{
  struct hand h;
  ONE_FUNC(&h, MOV_X(6, 1), CALL_HELPER(ZS_HELPER_resp_status), JA(0), EXIT());
  h.line = (struct bpf_line){ .insn = 0, .file = "Caddyfile", .line = 2, .col = 1, .text = "  respond 404" };
  h.prog.lines = &h.line;
  h.prog.line_count = 1;
  CHECK(hand_verify(&h, NULL) == 0);
  struct strbuf sb;
  strbuf_init(&sb, a);
  bpf_disasm(&h.prog, &sb);
  const char *want =
    "; eBPF: 4 instructions, 1 functions, 0 bytes of rodata\n"
    "\n"
    "f0:  ; entry  ; insns 0..3, stack 0, chain 0\n"
    "; Caddyfile:2: respond 404\n"
    "     0: bf 16 00 00 00 00 00 00  r6 = r1\n"
    "     1: 85 00 00 00 01 00 00 00  call 0x1  ; helper resp_status\n"
    "     2: 05 00 00 00 00 00 00 00  goto +0x0  ; -> 3\n"
    "     3: 95 00 00 00 00 00 00 00  exit\n"
    "\n"
    "; rodata: 0 bytes at 0x00100000\n";
  if (strcmp(strbuf_cstr(&sb), want)) {
    fprintf(stderr, "listing differs; got:\n%s", strbuf_cstr(&sb));
    test_failures++;
  }
}

int main(void)
{
  struct arena a = { 0 };
  test_accepts_clang_v4(&a);
  test_rejects_single();
  test_accepts_single();
  test_call_graph();
  test_message_has_source_line();
  test_listing_format(&a);
  arena_reset(&a);
  return test_result("bpf_verify_test");
}
