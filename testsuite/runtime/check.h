/* The runtime tests' assertion: count and report a failure, keep going. */
#ifndef TEST_CHECK_H
#define TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int check_failures;

/* a per-process scratch name in the temporary directory ($TMPDIR or the
 * system's), e.g. test_tmp_name(buf, n, "exec") */
static inline void test_tmp_name(char *buf, size_t cap, const char *what)
{
  const char *dir = getenv("TMPDIR");
  snprintf(buf, cap, "%s/zsrt-test-%s-%d", dir && dir[0] ? dir : P_tmpdir, what, (int)getpid());
}

#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "%s:%d: check failed: %s\n", \
  __FILE__, __LINE__, #cond); check_failures++; } } while (0)

#endif
