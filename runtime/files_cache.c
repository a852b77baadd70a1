/* files_cache: the worker's file cache (files_cache.h). Slots are found by
 * hash in a window of FILES_CACHE_WAYS; a full window gives up its least
 * recently served entry. */
#include "files_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <unistd.h>

#include "files.h"
#include "files_cond.h"
#include "response.h"

#define FILES_CACHE_WAYS 8
#define FILES_CACHE_EVENTS (IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | IN_MOVED_FROM | \
                            IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF)

struct files_cache *files_cache_create(void)
{
  struct files_cache *fc = calloc(1, sizeof *fc);
  void *m = fc ? mmap(NULL, FILES_CACHE_SLOTS * sizeof *fc->slots, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
               : MAP_FAILED;
  int fd = m != MAP_FAILED ? inotify_init1(IN_NONBLOCK | IN_CLOEXEC) : -1;
  if (fd < 0) {
    if (m != MAP_FAILED)
      munmap(m, FILES_CACHE_SLOTS * sizeof *fc->slots);
    free(fc);
    return NULL;
  }
  fc->slots = m;
  fc->inotify_fd = fd;
  return fc;
}

static void files_cache_drop(struct files_cache *fc, struct files_cache_entry *e)
{
  if (!e->hash)
    return;
  if (e->bytes) {
    fc->bytes -= (size_t)e->st.st_size;
    free(e->bytes);
  }
  if (e->fd >= 0)
    close(e->fd);
  e->hash = 0;
  e->bytes = NULL;
  e->fd = -1;
  fc->count--;
}

void files_cache_destroy(struct files_cache *fc)
{
  if (!fc)
    return;
  for (size_t i = 0; i < FILES_CACHE_SLOTS; i++)
    files_cache_drop(fc, &fc->slots[i]);
  munmap(fc->slots, FILES_CACHE_SLOTS * sizeof *fc->slots);
  close(fc->inotify_fd);
  free(fc);
}

int files_cache_key(char *out, size_t cap, unsigned file_server, const char *root, const char *rel)
{
  size_t rl = strlen(root), pl = strlen(rel);
  if (rl + pl + 8 > cap)
    return -ENAMETOOLONG;
  size_t n = 0;
  memcpy(out + n, &file_server, sizeof file_server);
  n += sizeof file_server;
  memcpy(out + n, root, rl + 1);
  n += rl + 1;
  memcpy(out + n, rel, pl);
  return (int)(n + pl);
}

/* FNV-1a; never 0, which marks a free slot */
static uint64_t files_cache_hash(const char *key, size_t len)
{
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < len; i++)
    h = (h ^ (unsigned char)key[i]) * 1099511628211ull;
  return h ? h : 1;
}

static void files_cache_events(struct files_cache *fc, const void *buf, size_t len)
{
  const char *p = buf, *end = p + len;
  while ((size_t)(end - p) >= sizeof(struct inotify_event)) {
    struct inotify_event ev;
    memcpy(&ev, p, sizeof ev);
    p += sizeof ev + ev.len;
    for (size_t i = 0; i < FILES_CACHE_SLOTS && fc->count; i++)
      if (fc->slots[i].hash && (fc->slots[i].wd == ev.wd || (ev.mask & IN_Q_OVERFLOW)))
        files_cache_drop(fc, &fc->slots[i]);
  }
}

/* every event queued so far: a change that happened before this request came */
static void files_cache_drain(struct files_cache *fc)
{
  _Alignas(struct inotify_event) char buf[4096];
  ssize_t n;
  while ((n = read(fc->inotify_fd, buf, sizeof buf)) > 0)
    files_cache_events(fc, buf, (size_t)n);
}

struct files_cache_entry *files_cache_get(struct files_cache *fc, const char *key, size_t key_len,
                                          uint64_t now_ms)
{
  if (fc->count)
    files_cache_drain(fc);
  uint64_t h = files_cache_hash(key, key_len);
  for (unsigned i = 0; i < FILES_CACHE_WAYS; i++) {
    struct files_cache_entry *e = &fc->slots[(h + i) & (FILES_CACHE_SLOTS - 1)];
    if (e->hash != h || e->key_len != key_len || memcmp(e->key, key, key_len) != 0)
      continue;
    if (now_ms - e->loaded_ms >= FILES_CACHE_VALID_MS) {
      files_cache_drop(fc, e);   /* inotify misses what symlinks point at: the interval bounds it */
      break;
    }
    e->used = ++fc->tick;
    fc->hits++;
    return e;
  }
  fc->misses++;
  return NULL;
}

/* the slot of the window the new entry takes: a free one, else the least recently served */
static struct files_cache_entry *files_cache_victim(struct files_cache *fc, uint64_t h)
{
  struct files_cache_entry *victim = NULL;
  for (unsigned i = 0; i < FILES_CACHE_WAYS; i++) {
    struct files_cache_entry *e = &fc->slots[(h + i) & (FILES_CACHE_SLOTS - 1)];
    if (!e->hash)
      return e;
    if (!victim || e->used < victim->used)
      victim = e;
  }
  files_cache_drop(fc, victim);
  return victim;
}

static char *files_cache_read_all(int fd, size_t size)
{
  char *buf = malloc(size ? size : 1);
  size_t got = 0;
  while (buf && got < size) {
    ssize_t n = pread(fd, buf + got, size - got, (off_t)got);
    if (n <= 0) {
      free(buf);
      return NULL;
    }
    got += (size_t)n;
  }
  return buf;
}

struct files_cache_entry *files_cache_put(struct files_cache *fc, const char *key, size_t key_len,
                                          const char *rel, int implicit_index, const char *dir_path, int fd,
                                          const struct stat *st, const char *content_type, uint64_t now_ms)
{
  size_t rel_len = strlen(rel);
  if (key_len > FILES_CACHE_KEY_MAX || rel_len >= FILES_CACHE_KEY_MAX || !S_ISREG(st->st_mode))
    return NULL;
  /* watched first: a change between this stat and the watch would otherwise go unseen */
  int wd = inotify_add_watch(fc->inotify_fd, dir_path, FILES_CACHE_EVENTS);
  if (wd < 0)
    return NULL;   /* no watch (the watch limit): served uncached, as Caddy serves */
  struct stat now;
  if (fstat(fd, &now) != 0 || now.st_mtim.tv_sec != st->st_mtim.tv_sec ||
      now.st_mtim.tv_nsec != st->st_mtim.tv_nsec || now.st_size != st->st_size)
    return NULL;
  uint64_t h = files_cache_hash(key, key_len);
  struct files_cache_entry *e = files_cache_victim(fc, h);
  size_t size = (size_t)st->st_size;
  int small = size <= FILES_CACHE_SMALL && fc->bytes + size <= FILES_CACHE_BYTES;
  char *bytes = small ? files_cache_read_all(fd, size) : NULL;
  int dup_fd = bytes ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (!bytes && dup_fd < 0)
    return NULL;
  e->hash = h;
  memcpy(e->key, key, key_len);
  e->key_len = key_len;
  memcpy(e->rel, rel, rel_len + 1);
  e->implicit_index = implicit_index;
  e->st = *st;
  e->bytes = bytes;
  e->fd = dup_fd;
  if (bytes)
    fc->bytes += size;
  files_cond_etag(st, e->etag, sizeof e->etag);
  response_format_date(st->st_mtim.tv_sec, e->last_modified);
  snprintf(e->content_type, sizeof e->content_type, "%s", content_type ? content_type : "");
  e->wd = wd;
  e->loaded_ms = now_ms;
  e->used = ++fc->tick;
  fc->count++;
  return e;
}

