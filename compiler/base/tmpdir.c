/* Temporary folders for external tools. */
#include "tmpdir.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *tmpdir_create(struct arena *a, const char *what, struct diag *d)
{
  const char *base = getenv("TMPDIR");
  if (!base || !*base)
    base = P_tmpdir;
  char *dir = arena_printf(a, "%s/zsc-%s-XXXXXX", base, what);
  if (!mkdtemp(dir)) {
    diag_error(d, (struct srcpos){0}, "cannot create a temporary folder in %s", base);
    return NULL;
  }
  return dir;
}

void tmpdir_remove(const char *dir)
{
  DIR *dp = opendir(dir);
  if (!dp)
    return;
  struct dirent *e;
  char path[4096];
  while ((e = readdir(dp))) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    unlink(path);
  }
  closedir(dp);
  rmdir(dir);
}
