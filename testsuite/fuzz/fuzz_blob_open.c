/* Fuzz target: zsrt's blob loader on a file (a memfd) holding the input, then
 * a walk over what it accepted, as the server reads it at start-up. zsb_check
 * promises zsrt's refusals, so the two must accept the same blobs. */
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "fuzz_blob.h"
#include "runtime/loader.h"
#include "zsb/zsb.h"

static int fuzz_blob_file(const uint8_t *blob, size_t n, char *path, size_t path_len)
{
  int fd = memfd_create("fuzz.zsb", MFD_CLOEXEC);
  if (fd < 0)
    abort();
  for (size_t off = 0; off < n;) {
    ssize_t w = write(fd, blob + off, n - off);
    if (w <= 0)
      abort();
    off += (size_t)w;
  }
  snprintf(path, path_len, "/proc/self/fd/%d", fd);
  return fd;
}

/* a config string must end, with its NUL, inside the mapped file */
static void fuzz_check_string(const struct blob *b, const char *s)
{
  if (*s && ((const uint8_t *)s < b->map || (const uint8_t *)s + strlen(s) >= b->map + b->size))
    abort();
}

/* every string the config points at, as the server reads them at start-up */
static void fuzz_blob_walk(const struct blob *b)
{
  for (uint32_t i = 0; i < b->config->server_count; i++)
    fuzz_check_string(b, blob_string(b, b->servers[i].name_str));
  for (uint32_t i = 0; i < b->config->listener_count; i++)
    fuzz_check_string(b, blob_string(b, b->listeners[i].host_str));
  for (uint32_t i = 0; i < b->config->file_server_count; i++)
    fuzz_check_string(b, blob_string(b, b->file_servers[i].root_str));
  for (uint32_t i = 0; i < b->config->proxy_count; i++)
    fuzz_check_string(b, blob_string(b, b->proxies[i].upstream_str));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  size_t n;
  uint8_t *bytes = fuzz_blob_copy(data, size, &n);
  if (!bytes)
    return 0;
  char path[64], err[512] = "";
  int fd = fuzz_blob_file(bytes, n, path, sizeof path);
  char check_err[256] = "";
  int checked = zsb_check(bytes, n, check_err, sizeof check_err);
  free(bytes);
  struct blob b;
  memset(&b, 0, sizeof b);
  int opened = blob_open(path, &b, err, sizeof err);
  if (opened == 0) {
    fuzz_blob_walk(&b);
    blob_close(&b);
  } else if (!err[0]) {
    abort();                   /* a refusal must say why */
  }
  close(fd);
  if ((checked == 0) != (opened == 0)) {
    fprintf(stderr, "zsb_check: %s\nblob_open: %s\n", checked ? check_err : "accepted", opened ? err : "accepted");
    abort();
  }
  return 0;
}
