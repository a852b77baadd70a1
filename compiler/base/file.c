/* Whole-file reads and writes, and saving an output file without replacing
 * a device or anything else that is not a regular file. */
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "strbuf.h"

int file_read_all(struct arena *a, const char *path, char **data, size_t *len)
{
  FILE *f = fopen(path, "rb");
  if (!f)
    return -errno;
  struct strbuf sb;
  strbuf_init(&sb, a);
  char chunk[65536];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
    strbuf_put(&sb, chunk, n);
  int failed = ferror(f);
  fclose(f);
  if (failed)
    return -EIO;
  *data = sb.data ? sb.data : arena_alloc(a, 1);
  *len = sb.len;
  return 0;
}

int file_write_all(const char *path, const void *data, size_t len)
{
  FILE *f = fopen(path, "wb");
  if (!f)
    return -errno;
  size_t n = fwrite(data, 1, len, f);
  int rc = fclose(f);
  return rc == 0 && n == len ? 0 : -EIO;
}

static int file_write_fd(int fd, const void *data, size_t len)
{
  const char *p = data;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return n < 0 ? -errno : -EIO;
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

/* a character device or FIFO: written to as it is, never created or renamed */
static int file_write_special(const char *path, const void *data, size_t len)
{
  int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return -errno;
  int rc = file_write_fd(fd, data, len);
  if (close(fd) != 0 && rc == 0)
    rc = -errno;
  return rc;
}

/* a regular file: PATH.tmp in the same folder, synced, then renamed over */
static int file_replace_regular(const char *path, const void *data, size_t len)
{
  char tmp[PATH_MAX + 8];
  if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp)
    return -ENAMETOOLONG;
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0)
    return -errno;
  int rc = file_write_fd(fd, data, len);
  if (rc == 0 && fsync(fd) != 0)
    rc = -errno;
  if (close(fd) != 0 && rc == 0)
    rc = -errno;
  if (rc == 0 && rename(tmp, path) != 0)
    rc = -errno;
  if (rc < 0)
    unlink(tmp);
  return rc;
}

int file_save_output(const char *path, const void *data, size_t len, const char **why)
{
  struct stat st;
  *why = NULL;
  if (lstat(path, &st) != 0) {
    if (errno != ENOENT)
      return -errno;
    return file_replace_regular(path, data, len);
  }
  char target[PATH_MAX];
  if (S_ISLNK(st.st_mode)) {
    /* the link stays; what it points to is the output */
    if (!realpath(path, target) || stat(target, &st) != 0) {
      *why = "a symbolic link to nothing";
      return -ENOENT;
    }
    path = target;
  }
  if (S_ISREG(st.st_mode))
    return file_replace_regular(path, data, len);
  if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode))
    return file_write_special(path, data, len);
  *why = S_ISDIR(st.st_mode) ? "a directory" : S_ISBLK(st.st_mode) ? "a block device (refused)"
                                                                   : "not a regular file";
  return S_ISDIR(st.st_mode) ? -EISDIR : -EPERM;
}
