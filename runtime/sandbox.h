/* The sandbox zsrt puts itself in once it serves (on by default, off with
 * --no-sandbox): Landlock limits file access to the site roots, the blob's
 * folder and what name resolution reads, all read-only; seccomp limits the
 * syscalls to the ones zsrt makes; each worker's io_uring is limited to the
 * operations the loop submits (io_uring operations do not pass seccomp). */
#ifndef ZSRT_SANDBOX_H
#define ZSRT_SANDBOX_H

#include <stddef.h>

struct blob;
struct io_uring;

#define SANDBOX_MAX_PATHS 64

struct sandbox_paths {
  const char *read[SANDBOX_MAX_PATHS];   /* read-only trees */
  size_t read_count;
  const char *exec[SANDBOX_MAX_PATHS];   /* read and map-executable trees (NSS modules) */
  size_t exec_count;
  const char *write[SANDBOX_MAX_PATHS];  /* read-write trees: the TLS storage (leaf renewals) */
  size_t write_count;
  char made[SANDBOX_MAX_PATHS][256];     /* folders named here (certificate folders), when short enough */
  size_t made_count;
};

/* the trees a blob reads: every file_server root of its config (the working
 * directory for an empty one), every absolute directory its program names
 * in read-only data (`root * /srv/www` puts the root there), the blob's own
 * folder (reload re-reads it), the resolver's files and NSS modules, the
 * folders of its certificates, keys and trusted CAs (re-read when the local
 * CA's leaves are renewed), and extra (--allow-read); and the one tree it
 * writes: the TLS storage, tls_storage (when the blob serves TLS, else NULL). Strings point into b, blob_path or extra, or are
 * static; dir_store holds the ones made here. */
void sandbox_collect_paths(const struct blob *b, const char *blob_path, const char *const *extra,
                           size_t extra_count, const char *tls_storage, struct sandbox_paths *out,
                           char *dir_store, size_t dir_store_len);

/* the Landlock ABI version (0: the kernel has none) */
int sandbox_landlock_abi(void);

/* Applies a Landlock ruleset to the calling thread and the threads it starts
 * later: only the given trees stay readable, only the write trees writable. 0, 1 when
 * the kernel has no Landlock (skipped), or -errno. */
int sandbox_landlock(const struct sandbox_paths *p);

/* Loads the seccomp filter into every thread of the process: the syscalls
 * zsrt makes are allowed, a short list of never-legitimate ones (exec,
 * ptrace, module loading, credential changes, io_uring_setup, ...) kills
 * the process, anything else fails with EPERM. 0 or -errno. */
int sandbox_seccomp(void);

/* Limits a ring created with IORING_SETUP_R_DISABLED to the operations and
 * SQE flags the loop uses, then enables it. 0 or -errno. */
int sandbox_restrict_ring(struct io_uring *ring);

#endif
