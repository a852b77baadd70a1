/* The clang driver: writes the caged C to a temporary file, runs clang-19
 * for x86_64 or aarch64 with the freestanding, position-independent flags
 * lifted code needs, and reads back the object. Errors come from clang. */
#include "native/native_parts.h"
#include "base/file.h"
#include "base/tmpdir.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static const char *native_clang_target(enum zs_arch arch)
{
  return arch == ZS_ARCH_AARCH64 ? "--target=aarch64-linux-gnu" : "--target=x86_64-linux-gnu";
}

/* runs argv with stderr into err_path; returns the exit status or -1 */
static int native_run(char *const argv[], const char *err_path)
{
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 2, err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  pid_t pid;
  int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0)
    return -1;
  int status;
  if (waitpid(pid, &status, 0) < 0)
    return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void native_report_clang(struct arena *a, const char *clang, const char *err_path, struct diag *d)
{
  struct native_object msg = {0};
  if (native_object_read(a, err_path, &msg) < 0)
    diag_error(d, (struct srcpos){0}, "native: %s failed (could not run it?)", clang);
  else
    diag_error(d, (struct srcpos){0}, "native: %s failed on the caged C:\n%.*s", clang,
               (int)msg.size, (const char *)msg.data);
}

int native_clang_compile(struct arena *a, const char *caged_c, enum zs_arch arch, const char *clang,
                         struct native_object *obj, struct diag *d)
{
  char *dir = tmpdir_create(a, "native", d);
  if (!dir)
    return -1;
  char *src = arena_printf(a, "%s/caged.c", dir), *dst = arena_printf(a, "%s/caged.o", dir);
  char *err = arena_printf(a, "%s/clang.err", dir);
  char *argv[] = {(char *)clang, (char *)native_clang_target(arch), "-O2", "-g", "-fPIC",
                  "-ffreestanding", "-fno-builtin", "-fno-stack-protector",
                  "-fno-asynchronous-unwind-tables", "-fno-unwind-tables", "-fno-jump-tables",
                  "-fno-strict-aliasing", "-nostdinc", "-w", "-c", src, "-o", dst, NULL};
  int rc = -1;
  if (file_write_all(src, caged_c, strlen(caged_c)) < 0)
    diag_error(d, (struct srcpos){0}, "native: cannot write %s", src);
  else if (native_run(argv, err) != 0)
    native_report_clang(a, clang, err, d);
  else if (native_object_read(a, dst, obj) < 0)
    diag_error(d, (struct srcpos){0}, "native: %s produced no object", clang);
  else
    rc = 0;
  tmpdir_remove(dir);
  return rc;
}
