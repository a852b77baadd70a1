/* Small helpers shared by the bpf_* and zsb_* unit tests: checks that count
 * failures, diagnostics captured in memory, and building programs by hand. */
#ifndef ZS_TEST_BPF_UTIL_H
#define ZS_TEST_BPF_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "bpf/bpf.h"

static int test_failures;

#define CHECK(cond)                                                          \
  do {                                                                       \
    if (!(cond)) {                                                           \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      test_failures++;                                                       \
    }                                                                        \
  } while (0)

/* diagnostics into a memory buffer the test can search */
struct test_diag {
  struct diag d;
  char *text;
  size_t len;
};

static inline void test_diag_open(struct test_diag *t)
{
  t->text = NULL;
  t->len = 0;
  diag_init(&t->d, open_memstream(&t->text, &t->len));
  t->d.no_caret = 1;
}

/* closes the stream; the text stays valid until test_diag_free */
static inline const char *test_diag_close(struct test_diag *t)
{
  fclose(t->d.out);
  return t->text ? t->text : "";
}

static inline void test_diag_free(struct test_diag *t)
{
  free(t->text);
  t->text = NULL;
}

static inline struct bpf_insn test_insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
  struct bpf_insn in = { .code = code, .dst = dst, .src = src, .off = off, .imm = imm };
  return in;
}

static inline int test_result(const char *name)
{
  if (test_failures) {
    fprintf(stderr, "%s: %d check(s) failed\n", name, test_failures);
    return 1;
  }
  return 0;
}

#endif
