/* The sandbox applied for real (runtime/sandbox.c), in child processes:
 * Landlock leaves only the given tree readable (/etc/passwd is refused even
 * though the code tries), seccomp turns a syscall zsrt never makes into
 * EPERM and an exec into a kill, and a ring limited by
 * sandbox_restrict_ring refuses an operation it was not allowed. */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/sandbox.h"
#include "testsuite/check.h"

/* runs fn in a child; its exit status, or 128 + the signal that ended it */
static int in_child(int (*fn)(void *), void *arg)
{
  pid_t pid = fork();
  if (pid == 0)
    _exit(fn(arg));
  int st = 0;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int landlock_child(void *dir)
{
  struct sandbox_paths p = { .read = { dir }, .read_count = 1 };
  if (sandbox_landlock(&p) != 0)
    return 10;
  char path[4200];
  snprintf(path, sizeof path, "%s/inside.txt", (const char *)dir);
  int in = open(path, O_RDONLY);
  if (in < 0)
    return 11;   /* the allowed tree must stay readable */
  close(in);
  int out = open("/etc/passwd", O_RDONLY);
  if (out >= 0 || errno != EACCES)
    return 12;
  int w = open(path, O_WRONLY);
  if (w >= 0 || errno != EACCES)
    return 13;   /* read-only */
  return 0;
}

static int seccomp_eperm_child(void *arg)
{
  (void)arg;
  if (sandbox_seccomp() != 0)
    return 10;
  /* mknodat is nothing zsrt calls: denied, the process lives on */
  long rc = syscall(SYS_mknodat, AT_FDCWD, "/tmp/zs-sandbox-never", 0010600, 0);
  return rc < 0 && errno == EPERM ? 0 : 11;
}

static int seccomp_kill_child(void *arg)
{
  (void)arg;
  if (sandbox_seccomp() != 0)
    return 10;
  char *argv[] = { "true", NULL };
  execv("/bin/true", argv);
  return 11;   /* not reached when the filter kills */
}

static int ring_child(void *arg)
{
  (void)arg;
  struct io_uring ring;
  struct io_uring_params p = { .flags = IORING_SETUP_R_DISABLED };
  if (io_uring_queue_init_params(8, &ring, &p) != 0)
    return 77;
  if (sandbox_restrict_ring(&ring) != 0)
    return 10;
  /* IORING_OP_OPENAT is not in the list: io_uring refuses it */
  struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
  io_uring_prep_openat(sqe, AT_FDCWD, "/etc/passwd", O_RDONLY, 0);
  io_uring_submit(&ring);
  struct io_uring_cqe *cqe;
  if (io_uring_wait_cqe(&ring, &cqe) != 0)
    return 11;
  int res = cqe->res;
  io_uring_queue_exit(&ring);
  return res == -EACCES ? 0 : 12;
}

int main(void)
{
  char dir[] = "/tmp/zs-sandbox-XXXXXX";
  CHECK(mkdtemp(dir) != NULL);
  char path[64];
  snprintf(path, sizeof path, "%s/inside.txt", dir);
  FILE *f = fopen(path, "w");
  CHECK(f && fputs("x", f) >= 0 && fclose(f) == 0);
  if (sandbox_landlock_abi() > 0)
    CHECK(in_child(landlock_child, dir) == 0);
  else
    printf("landlock: not in this kernel, skipped\n");
  CHECK(in_child(seccomp_eperm_child, NULL) == 0);
  CHECK(in_child(seccomp_kill_child, NULL) == 128 + SIGSYS);
  int ring = in_child(ring_child, NULL);
  CHECK(ring == 0 || ring == 77);
  unlink(path);
  rmdir(dir);
  return check_failures ? 1 : 0;
}
