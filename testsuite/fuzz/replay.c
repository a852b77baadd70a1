/* A main() for any fuzz target, built with the project's own compiler: runs
 * every file named on the command line (or found directly inside a named
 * folder) through LLVMFuzzerTestOneInput once. Under the ASan+UBSan build this
 * replays the seed corpus as an ordinary test; a crash is the failure. */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

struct replay_list {
  char **paths;
  size_t count, cap;
};

static void replay_add(struct replay_list *l, const char *path)
{
  if (l->count == l->cap) {
    l->cap = l->cap ? l->cap * 2 : 64;
    l->paths = realloc(l->paths, l->cap * sizeof *l->paths);
    if (!l->paths)
      abort();
  }
  l->paths[l->count++] = realpath(path, NULL);
}

static int replay_by_name(const void *x, const void *y)
{
  return strcmp(*(char *const *)x, *(char *const *)y);
}

/* a file, or the regular files directly inside a folder */
static int replay_collect(struct replay_list *l, const char *arg)
{
  struct stat st;
  if (stat(arg, &st) < 0)
    return fprintf(stderr, "replay: %s: not found\n", arg), -1;
  if (!S_ISDIR(st.st_mode))
    return replay_add(l, arg), 0;
  DIR *dir = opendir(arg);
  struct dirent *e;
  while (dir && (e = readdir(dir))) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", arg, e->d_name);
    if (e->d_name[0] != '.' && stat(path, &st) == 0 && S_ISREG(st.st_mode))
      replay_add(l, path);
  }
  if (dir)
    closedir(dir);
  return 0;
}

/* the input in a buffer of exactly its size, so an over-read trips ASan */
static int replay_one(const char *path)
{
  FILE *f = fopen(path, "rb");
  if (!f)
    return fprintf(stderr, "replay: cannot open %s\n", path), -1;
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  rewind(f);
  uint8_t *data = malloc(size > 0 ? (size_t)size : 1);
  size_t got = data ? fread(data, 1, (size_t)size, f) : 0;
  fclose(f);
  if (!data || got != (size_t)size)
    return free(data), fprintf(stderr, "replay: cannot read %s\n", path), -1;
  LLVMFuzzerTestOneInput(data, got);
  free(data);
  return 0;
}

int main(int argc, char **argv)
{
  struct replay_list list = {0};
  for (int i = 1; i < argc; i++)
    if (replay_collect(&list, argv[i]) < 0)
      return 1;
  if (list.count == 0)
    return fprintf(stderr, "replay: no inputs given\n"), 77;
  qsort(list.paths, list.count, sizeof *list.paths, replay_by_name);
  /* imports in Caddyfile inputs resolve against an empty folder of our own */
  const char *tmp = getenv("TMPDIR");
  char dir[PATH_MAX];
  snprintf(dir, sizeof dir, "%s/zs-replay-XXXXXX", tmp && *tmp ? tmp : P_tmpdir);
  if (!mkdtemp(dir) || chdir(dir) < 0)
    return perror("replay: temporary folder"), 1;
  int failed = 0;
  for (size_t i = 0; i < list.count; i++) {
    failed |= !list.paths[i] || replay_one(list.paths[i]) < 0;
    free(list.paths[i]);
  }
  free(list.paths);
  if (chdir("/") < 0 || rmdir(dir) < 0)
    perror("replay: removing the temporary folder");
  printf("replay: %zu inputs, %s\n", list.count, failed ? "some unreadable" : "no crash");
  return failed;
}
