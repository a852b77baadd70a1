/* A worker's cache of the files file_server answers with, as nginx's
 * open_file_cache: the path's resolution (index file included), its stat,
 * its ETag and Last-Modified, and either its bytes (small files) or an open
 * descriptor. Caddy stats every request, so a change must show at once:
 * before an entry is served, the inotify events queued since the last
 * request (modify, attributes, create, delete, rename in its folder) are
 * read and drop what they touch; a write that returned before the request
 * was sent is always seen. What inotify cannot see (a symlink's target in
 * another folder) is bounded by FILES_CACHE_VALID_MS. One thread owns it;
 * nothing is shared between workers. */
#ifndef ZSRT_FILES_CACHE_H
#define ZSRT_FILES_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#define FILES_CACHE_SLOTS     1024          /* entries (a power of two: open addressing) */
#define FILES_CACHE_SMALL     (32 * 1024)   /* files up to this size are kept in memory */
#define FILES_CACHE_BYTES     (16u << 20)   /* bound on the bytes kept */
#define FILES_CACHE_VALID_MS  1000          /* nginx's open_file_cache_valid, kept short */
#define FILES_CACHE_KEY_MAX   1024

struct files_cache_entry {
  uint64_t hash;                   /* 0: free */
  char key[FILES_CACHE_KEY_MAX];   /* file_server id, root, NUL, the cleaned request path */
  size_t key_len;
  char rel[FILES_CACHE_KEY_MAX];   /* what it resolved to under the root (index file included) */
  int implicit_index;
  struct stat st;
  char *bytes;                     /* the whole file when small, else NULL */
  int fd;                          /* else an open descriptor, duplicated per answer */
  char etag[40], last_modified[30];
  char content_type[128];          /* a copy (a reload frees the blob's), "": none */
  int wd;                          /* the inotify watch of its folder, -1: none */
  uint64_t loaded_ms;
  uint64_t used;                   /* for eviction: the cache's tick when last served */
};

struct files_cache {
  struct files_cache_entry *slots; /* FILES_CACHE_SLOTS, one mapping */
  size_t count;
  size_t bytes;                    /* kept bytes */
  uint64_t tick;
  int inotify_fd;                  /* non-blocking; read before every hit */
  uint64_t hits, misses;
};

/* a cache, or NULL (no memory, or no inotify: then nothing is cached) */
struct files_cache *files_cache_create(void);
void files_cache_destroy(struct files_cache *fc);

/* the key of a request: its file_server record, root and cleaned path;
 * -ENAMETOOLONG when it does not fit (the request is not cached) */
int files_cache_key(char *out, size_t cap, unsigned file_server, const char *root, const char *rel);
/* the current entry for key, or NULL (absent, changed or expired: dropped) */
struct files_cache_entry *files_cache_get(struct files_cache *fc, const char *key, size_t key_len,
                                          uint64_t now_ms);
/* remembers a resolved regular file: dir_path is its folder (absolute or
 * relative to the working directory) for the inotify watch, fd is read for
 * a small file's bytes and duplicated otherwise (the caller keeps its own).
 * Returns the entry, or NULL when it cannot be cached (nothing changes). */
struct files_cache_entry *files_cache_put(struct files_cache *fc, const char *key, size_t key_len,
                                          const char *rel, int implicit_index, const char *dir_path, int fd,
                                          const struct stat *st, const char *content_type, uint64_t now_ms);

#endif
