/* Runs clang -target bpf on a C source held in memory: writes it into a private
 * temporary folder, runs clang there, forwards its diagnostics and reads the
 * object back. It does not interpret the object; read.c does. */
#include "bpf.h"
#include "base/file.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef ZSC_BPF_DEFAULT_CLANG
#define ZSC_BPF_DEFAULT_CLANG "clang-19"
#endif

extern char **environ;

const char *bpf_default_clang(void)
{
  return ZSC_BPF_DEFAULT_CLANG;
}

/* a whole file into the arena, NUL-terminated; -1 on error */
/* argv for clang; the strings live in the arena */
static char **compile_build_argv(struct arena *a, const struct bpf_compile_options *opt,
                                 const char *clang, const char *dir, const char *src, const char *obj)
{
  /* relative debug paths: the Caddyfile as #line names it (clang reads its
   * line texts into BTF from there), the generated source by its bare name */
  static const char *const fixed[] = { "-target", "bpf", "-mcpu=v4", "-O2", "-g", "-ffreestanding",
                                       "-fno-color-diagnostics", "-fdebug-compilation-dir=.", "-c" };
  size_t nfixed = sizeof fixed / sizeof fixed[0];
  size_t max = 1 + nfixed + opt->include_count + opt->define_count + 5;
  char **argv = arena_alloc(a, (max + 1) * sizeof *argv);
  size_t n = 0;
  argv[n++] = (char *)clang;
  for (size_t i = 0; i < nfixed; i++)
    argv[n++] = (char *)fixed[i];
  for (size_t i = 0; i < opt->include_count; i++)
    argv[n++] = arena_printf(a, "-I%s", opt->include_dirs[i]);
  for (size_t i = 0; i < opt->define_count; i++)
    argv[n++] = arena_printf(a, "-D%s", opt->defines[i]);
  argv[n++] = arena_printf(a, "-fdebug-prefix-map=%s/=", dir);
  argv[n++] = (char *)src;
  argv[n++] = "-o";
  argv[n++] = (char *)obj;
  argv[n] = NULL;
  return argv;
}

/* runs argv with stderr (and stdout) into log; returns the exit status or -1 */
static int compile_run(char **argv, const char *log, struct diag *d)
{
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 2, log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&fa, 2, 1);
  pid_t pid;
  int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    diag_error(d, (struct srcpos){ 0 }, "cannot run %s: %s", argv[0], strerror(rc));
    return -1;
  }
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* copies clang's messages to the diagnostics stream, counting its errors */
static void compile_forward_log(struct arena *a, const char *log, struct diag *d)
{
  char *text;
  size_t len;
  if (file_read_all(a, log, &text, &len) < 0 || len == 0)
    return;
  fwrite(text, 1, len, d->out);
  for (const char *p = (const char *)text; (p = strstr(p, ": error: ")); p++)
    d->errors++;
  for (const char *p = (const char *)text; (p = strstr(p, ": warning: ")); p++)
    d->warnings++;
}

static void compile_cleanup(const char *dir, const char *const *files, size_t count)
{
  for (size_t i = 0; i < count; i++)
    unlink(files[i]);
  rmdir(dir);
}

int bpf_compile(struct arena *a, const char *source, size_t len, const struct bpf_compile_options *opt,
                uint8_t **elf, size_t *elf_size, struct diag *d)
{
  static const struct bpf_compile_options none;
  opt = opt ? opt : &none;
  const char *tmp = getenv("TMPDIR");
  char *dir = arena_printf(a, "%s/zsc-bpf-XXXXXX", tmp && *tmp ? tmp : P_tmpdir);
  if (!mkdtemp(dir)) {
    diag_error(d, (struct srcpos){ 0 }, "cannot create a temporary folder: %s", strerror(errno));
    return -1;
  }
  const char *base = opt->source_name ? strrchr(opt->source_name, '/') : NULL;
  base = base ? base + 1 : (opt->source_name ? opt->source_name : "program.bpf.c");
  const char *files[3] = { arena_printf(a, "%s/%s", dir, base), arena_printf(a, "%s/program.o", dir),
                           arena_printf(a, "%s/clang.log", dir) };
  int errors_before = d->errors, rc = -1;
  int werr = file_write_all(files[0], source, len);
  if (werr < 0) {
    diag_error(d, (struct srcpos){ 0 }, "cannot write %s: %s", files[0], strerror(-werr));
  } else {
    int status = compile_run(compile_build_argv(a, opt, opt->clang ? opt->clang : bpf_default_clang(),
                                                dir, files[0], files[1]), files[2], d);
    compile_forward_log(a, files[2], d);
    if (status == 0 && file_read_all(a, files[1], (char **)elf, elf_size) == 0)
      rc = 0;
    else if (d->errors == errors_before)
      diag_error(d, (struct srcpos){ 0 }, "clang -target bpf failed (status %d)", status);
  }
  compile_cleanup(dir, files, 3);
  return rc;
}
