/* The C tests' assertion: count and report a failure, keep going. */
#ifndef TEST_CHECK_H
#define TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static int check_failures;

/* a per-process scratch name in the temporary directory ($TMPDIR or the
 * system's), e.g. test_tmp_name(buf, n, "exec") */
static inline void test_tmp_name(char *buf, size_t cap, const char *what)
{
  const char *dir = getenv("TMPDIR");
  snprintf(buf, cap, "%s/zsrt-test-%s-%d", dir && dir[0] ? dir : P_tmpdir, what, (int)getpid());
}

/* runs argv (argv[0] is the program's path), its stdout into out (NUL-
 * terminated, at most cap - 1 bytes); returns its exit code, -1 otherwise */
static inline int test_run_capture(const char *const *argv, char *out, size_t cap)
{
  int fds[2];
  if (pipe(fds) < 0)
    return -1;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    execv(argv[0], (char *const *)argv);
    _exit(127);
  }
  close(fds[1]);
  size_t n = 0;
  ssize_t r;
  while (n + 1 < cap && (r = read(fds[0], out + n, cap - 1 - n)) > 0)
    n += (size_t)r;
  out[n] = '\0';
  close(fds[0]);
  int status;
  if (pid < 0 || waitpid(pid, &status, 0) < 0)
    return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "%s:%d: check failed: %s\n", \
  __FILE__, __LINE__, #cond); check_failures++; } } while (0)

#endif
