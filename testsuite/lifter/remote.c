/* Host side of the aarch64 runs: writes the batch file, runs the runner under
 * qemu-aarch64 with its output in a second file, and reads the results. */
#include "remote.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "batch.h"

static int remote_write(const char *path, const struct native_image *img, const struct bpf_program *prog,
                        const uint64_t *offsets, size_t count)
{
  FILE *f = fopen(path, "wb");
  if (!f)
    return -1;
  struct batch_header h = {BATCH_MAGIC, img->code_size, prog->rodata_size, count};
  int ok = fwrite(&h, sizeof h, 1, f) == 1 && fwrite(img->code, 1, img->code_size, f) == img->code_size &&
           fwrite(prog->rodata, 1, prog->rodata_size, f) == prog->rodata_size &&
           fwrite(offsets, sizeof *offsets, count, f) == count;
  return fclose(f) == 0 && ok ? 0 : -1;
}

static int remote_exec(const char *qemu, const char *runner, const char *in, const char *out)
{
  pid_t pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0) {
    if (!freopen(out, "w", stdout))
      _exit(126);
    execl(qemu, qemu, runner, in, (char *)NULL);
    _exit(127);
  }
  int status;
  if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return -1;
  return 0;
}

static int remote_read(const char *path, size_t count, struct run_result *got)
{
  FILE *f = fopen(path, "r");
  if (!f)
    return -1;
  size_t seen = 0, i;
  unsigned trap;
  unsigned long long r0, hash;
  int snapped;
  while (fscanf(f, "%zu %u %llx %d %llx", &i, &trap, &r0, &snapped, &hash) == 5 && i < count) {
    got[i] = (struct run_result){trap, r0, snapped, hash};
    seen++;
  }
  fclose(f);
  return seen == count ? 0 : -1;
}

int remote_run(struct arena *a, const char *qemu, const char *runner, const struct native_image *img,
               const struct bpf_program *prog, const uint64_t *offsets, size_t count, struct run_result *got)
{
  const char *tmp = getenv("TMPDIR");
  char *dir = arena_printf(a, "%s/zs-lifter-XXXXXX", tmp && *tmp ? tmp : P_tmpdir);
  if (!mkdtemp(dir))
    return -1;
  char *in = arena_printf(a, "%s/batch", dir), *out = arena_printf(a, "%s/results", dir);
  int rc = remote_write(in, img, prog, offsets, count);
  if (rc == 0 && (rc = remote_exec(qemu, runner, in, out)) < 0)
    fprintf(stderr, "FAIL: the aarch64 runner did not finish cleanly under %s\n", qemu);
  if (rc == 0 && (rc = remote_read(out, count, got)) < 0)
    fprintf(stderr, "FAIL: the aarch64 runner's report is incomplete\n");
  unlink(in);
  unlink(out);
  rmdir(dir);
  return rc;
}
