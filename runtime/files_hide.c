/* file_server's `hide`, as Caddy applies it: a pattern without a slash hides
 * every path component it matches (glob); one with a slash is a file system
 * path, made absolute against the working directory, that hides itself and
 * everything below it, or matches the whole absolute path as a glob. */
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "files.h"
#include "loader.h"

/* "<cwd>/<p>" for a relative p, p itself otherwise; "" when it does not fit */
static const char *files_hide_absolute(const char *p, char *buf, size_t cap)
{
  if (p[0] == '/')
    return p;
  char cwd[PATH_MAX];
  if (!getcwd(cwd, sizeof cwd))
    return "";
  const char *rel = strncmp(p, "./", 2) == 0 ? p + 2 : p;
  int n = snprintf(buf, cap, "%s/%s", strcmp(cwd, "/") == 0 ? "" : cwd, rel);
  return n > 0 && (size_t)n < cap ? buf : "";
}

static int files_hide_component(const char *pattern, const char *path)
{
  char part[NAME_MAX + 1];
  for (const char *p = path; *p;) {
    size_t n = strcspn(p, "/");
    if (n && n < sizeof part) {
      memcpy(part, p, n);
      part[n] = 0;
      if (fnmatch(pattern, part, 0) == 0)
        return 1;
    }
    p += n + (p[n] == '/');
  }
  return 0;
}

static int files_hide_one(const char *pattern, const char *abs)
{
  if (!strchr(pattern, '/'))
    return files_hide_component(pattern, abs);
  char buf[PATH_MAX];
  const char *h = files_hide_absolute(pattern, buf, sizeof buf);
  size_t n = strlen(h);
  if (n && strncmp(abs, h, n) == 0 && (abs[n] == '/' || abs[n] == 0))
    return 1;
  return n && fnmatch(h, abs, FNM_PATHNAME) == 0;
}

int files_hidden(const struct blob *blob, const struct zs_file_server *rec, const char *root, const char *rel)
{
  const char *first = blob_string(blob, rec->hide_str);
  if (!first[0])
    return 0;
  char rootbuf[PATH_MAX], abs[PATH_MAX];
  const char *aroot = files_hide_absolute(root, rootbuf, sizeof rootbuf);
  int n = snprintf(abs, sizeof abs, "%s%s%s", aroot, rel[0] ? "/" : "", rel);
  if (n < 0 || (size_t)n >= sizeof abs)
    return 1;                 /* a path we cannot compare is not served */
  while (n > 1 && abs[n - 1] == '/')
    abs[--n] = 0;
  for (uint32_t at = rec->hide_str; blob_string(blob, at)[0]; at += (uint32_t)strlen(blob_string(blob, at)) + 1)
    if (files_hide_one(blob_string(blob, at), abs))
      return 1;
  return 0;
}

/* Caddy's fileHidden on a bare entry name, as its listing calls it: only
 * the patterns without a slash can match one */
int files_hidden_name(const struct blob *blob, const struct zs_file_server *rec, const char *name)
{
  for (uint32_t at = rec->hide_str; blob_string(blob, at)[0]; at += (uint32_t)strlen(blob_string(blob, at)) + 1)
    if (files_hide_one(blob_string(blob, at), name))
      return 1;
  return 0;
}
