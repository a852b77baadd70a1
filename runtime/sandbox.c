/* The sandbox (sandbox.h): Landlock through its three syscalls, seccomp
 * through libseccomp, io_uring through IORING_REGISTER_RESTRICTIONS.
 * Why EPERM by default and not a kill: a syscall this list forgot (a new
 * glibc or sanitizer path) then fails one operation instead of dropping
 * every connection of the server; it is denied either way. What no correct
 * zsrt ever calls kills at once. */
#include "sandbox.h"

#include <errno.h>
#include <liburing.h>
#include <linux/landlock.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <fcntl.h>
#include <unistd.h>

#include "loader.h"

/* ---------------------------------------------------------------- paths */

static void sandbox_add(const char **list, size_t *count, const char *path)
{
  for (size_t i = 0; i < *count; i++)
    if (strcmp(list[i], path) == 0)
      return;
  if (*count < SANDBOX_MAX_PATHS)
    list[(*count)++] = path;
}

static int sandbox_is_dir(const char *path)
{
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* absolute directories named by NUL-terminated strings of rodata; "/" is
 * never one (a path matcher's "/" must not open the whole tree) */
static void sandbox_rodata_dirs(const struct blob *b, struct sandbox_paths *out)
{
  const char *s = (const char *)b->rodata, *end = s + b->rodata_size;
  while (s < end) {
    const char *nul = memchr(s, '\0', (size_t)(end - s));
    if (!nul)
      break;
    size_t len = (size_t)(nul - s);
    if (len > 1 && s[0] == '/' && len < 4096 && sandbox_is_dir(s))
      sandbox_add(out->read, &out->read_count, s);
    s = nul + 1;
  }
}

static const char *sandbox_dirname(const char *path, char *store, size_t len)
{
  const char *slash = strrchr(path, '/');
  if (!slash)
    return ".";
  size_t n = slash == path ? 1 : (size_t)(slash - path);
  if (n >= len)
    return NULL;
  memcpy(store, path, n);
  store[n] = '\0';
  return store;
}

/* the folder a certificate, key or trust file is in, kept in out->made */
static void sandbox_add_parent(struct sandbox_paths *out, const char *path)
{
  if (!path[0] || out->made_count == SANDBOX_MAX_PATHS)
    return;
  char *store = out->made[out->made_count];
  const char *dir = sandbox_dirname(path, store, sizeof out->made[0]);
  if (!dir)
    return;
  if (dir == store)
    out->made_count++;
  sandbox_add(out->read, &out->read_count, dir);
}

static void sandbox_tls_paths(const struct blob *b, struct sandbox_paths *out)
{
  for (unsigned i = 0; i < b->config->tls_cert_count; i++) {
    const struct zs_tls_cert *c = &b->tls_certs[i];
    const char *chain = blob_string(b, c->chain_str);
    if (c->flags & ZS_CERT_FOLDER)
      sandbox_add(out->read, &out->read_count, chain);
    else
      sandbox_add_parent(out, chain);
    sandbox_add_parent(out, blob_string(b, c->key_str));
  }
  for (unsigned i = 0; i < b->config->tls_policy_count; i++) {
    const char *files[16];
    size_t n = blob_list(b, b->tls_policies[i].trust_file_str, files, 16);
    for (size_t k = 0; k < n && k < 16; k++)
      sandbox_add_parent(out, files[k]);
  }
}

void sandbox_collect_paths(const struct blob *b, const char *blob_path, const char *const *extra,
                           size_t extra_count, const char *tls_storage, struct sandbox_paths *out,
                           char *dir_store, size_t dir_store_len)
{
  memset(out, 0, sizeof *out);
  sandbox_tls_paths(b, out);
  if (tls_storage)
    sandbox_add(out->write, &out->write_count, tls_storage);
  for (unsigned i = 0; i < b->config->file_server_count; i++) {
    const char *root = blob_string(b, b->file_servers[i].root_str);
    sandbox_add(out->read, &out->read_count, *root ? root : ".");
  }
  sandbox_rodata_dirs(b, out);
  /* a rolled log file's folder: renamed in, made anew, compressed, removed */
  for (unsigned i = 0; i < b->config->logger_count && out->made_count < SANDBOX_MAX_PATHS; i++) {
    const struct zs_logger *g = &b->loggers[i];
    char *store = out->made[out->made_count];
    const char *logdir = g->output == ZS_LOG_FILE && g->roll_size_mb
                           ? sandbox_dirname(blob_string(b, g->path_str), store, sizeof out->made[0]) : NULL;
    out->made_count += logdir == store;
    if (logdir)
      sandbox_add(out->write, &out->write_count, logdir);
  }
  const char *dir = sandbox_dirname(blob_path, dir_store, dir_store_len);
  if (dir)
    sandbox_add(out->read, &out->read_count, dir);
  for (size_t i = 0; i < extra_count; i++)
    sandbox_add(out->read, &out->read_count, extra[i]);
  /* getaddrinfo for an upstream's host name (also one a later reload adds):
   * its files and NSS modules; nothing in them is a secret */
  static const char *const resolver[] = { "/etc/hosts", "/etc/resolv.conf", "/etc/nsswitch.conf",
                                          "/etc/host.conf", "/etc/gai.conf", "/etc/services" };
  for (size_t i = 0; i < sizeof resolver / sizeof resolver[0]; i++)
    sandbox_add(out->read, &out->read_count, resolver[i]);
  static const char *const libs[] = { "/lib", "/lib64", "/usr/lib", "/usr/lib64" };
  for (size_t i = 0; i < sizeof libs / sizeof libs[0]; i++)
    sandbox_add(out->exec, &out->exec_count, libs[i]);
}

/* ------------------------------------------------------------- Landlock */

int sandbox_landlock_abi(void)
{
  long v = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
  return v > 0 ? (int)v : 0;
}

static uint64_t sandbox_fs_rights(int abi)
{
  uint64_t all = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1;   /* ABI 1: bits 0..12 */
#ifdef LANDLOCK_ACCESS_FS_REFER
  if (abi >= 2)
    all |= LANDLOCK_ACCESS_FS_REFER;
#endif
#ifdef LANDLOCK_ACCESS_FS_TRUNCATE
  if (abi >= 3)
    all |= LANDLOCK_ACCESS_FS_TRUNCATE;
#endif
  return all;
}

static int sandbox_allow(int ruleset, const char *path, uint64_t access)
{
  int fd = open(path, O_PATH | O_CLOEXEC);
  if (fd < 0)
    return 0;   /* a root that does not exist yet: nothing to open beneath it */
  struct stat st;
  if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode))
    access &= LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_EXECUTE;
  struct landlock_path_beneath_attr attr = { .allowed_access = access, .parent_fd = fd };
  long rc = syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &attr, 0);
  int err = rc < 0 ? -errno : 0;
  close(fd);
  return err;
}

int sandbox_landlock(const struct sandbox_paths *p)
{
  int abi = sandbox_landlock_abi();
  if (abi <= 0)
    return 1;
  struct landlock_ruleset_attr attr = { .handled_access_fs = sandbox_fs_rights(abi) };
  int ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
  if (ruleset < 0)
    return -errno;
  const uint64_t read = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
  int rc = 0;
  for (size_t i = 0; i < p->read_count && rc == 0; i++)
    rc = sandbox_allow(ruleset, p->read[i], read);
  for (size_t i = 0; i < p->exec_count && rc == 0; i++)
    rc = sandbox_allow(ruleset, p->exec[i], read | LANDLOCK_ACCESS_FS_EXECUTE);
  /* certmagic's writes: files made whole, then renamed over the old ones */
  uint64_t write = read | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_MAKE_REG |
                   LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE;
#ifdef LANDLOCK_ACCESS_FS_TRUNCATE
  if (abi >= 3)
    write |= LANDLOCK_ACCESS_FS_TRUNCATE;
#endif
  for (size_t i = 0; i < p->write_count && rc == 0; i++)
    rc = sandbox_allow(ruleset, p->write[i], write);
  if (rc == 0 && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    rc = -errno;
  if (rc == 0 && syscall(SYS_landlock_restrict_self, ruleset, 0) != 0)
    rc = -errno;
  close(ruleset);
  return rc;
}

/* -------------------------------------------------------------- seccomp */

/* what the workers, the main thread (signals, reload, logs) and the C and
 * sanitizer runtimes call once zsrt serves */
static const char *const sandbox_allowed[] = {
  "read", "write", "readv", "writev", "pread64", "pwrite64", "close", "lseek",
  "fstat", "newfstatat", "stat", "lstat", "statx", "fstatfs", "getdents64", "readlink", "readlinkat",
  "open", "openat", "openat2", "fcntl", "dup", "dup2", "dup3", "ioctl", "access", "faccessat", "faccessat2",
  "mmap", "munmap", "mprotect", "madvise", "mremap", "brk",
  "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigtimedwait", "rt_sigsuspend", "sigaltstack",
  "tgkill", "tkill", "getpid", "gettid", "getppid", "getuid", "geteuid", "getgid", "getegid",
  "futex", "set_robust_list", "get_robust_list", "rseq", "sched_yield", "sched_getaffinity",
  "exit", "exit_group", "nanosleep", "clock_nanosleep", "clock_gettime", "clock_getres",
  "gettimeofday", "time", "getrandom", "uname", "sysinfo", "prctl", "getrlimit", "prlimit64",
  "io_uring_enter", "eventfd2",
  "socket", "connect", "setsockopt", "getsockopt", "getsockname", "getpeername", "shutdown",
  "sendto", "recvfrom", "sendmsg", "recvmsg", "sendmmsg", "poll", "ppoll", "bind",
  "pipe2", "getcwd", "restart_syscall", "membarrier", "memfd_create", "ftruncate",
  /* the local CA's renewals in the TLS storage (Landlock keeps them there) */
  "mkdir", "mkdirat", "rename", "renameat", "renameat2", "unlink", "unlinkat", "fsync", "fdatasync",
  /* the file cache's watches on the folders it serves from */
  "inotify_add_watch",
};

static const char *const sandbox_killed[] = {
  "execve", "execveat", "ptrace", "process_vm_readv", "process_vm_writev", "bpf",
  "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load",
  "mount", "umount2", "pivot_root", "chroot", "unshare", "setns", "personality",
  "setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid", "setgroups",
  "io_uring_setup", "userfaultfd", "perf_event_open", "keyctl", "add_key", "request_key",
};

static int sandbox_rules(scmp_filter_ctx ctx, const char *const *names, size_t n, uint32_t action)
{
  for (size_t i = 0; i < n; i++) {
    int nr = seccomp_syscall_resolve_name(names[i]);
    if (nr == __NR_SCMP_ERROR)
      continue;   /* not a syscall on this architecture */
    int rc = seccomp_rule_add(ctx, action, nr, 0);
    if (rc < 0)
      return rc;
  }
  return 0;
}

int sandbox_seccomp(void)
{
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
  if (!ctx)
    return -ENOMEM;
  int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
  if (rc == 0)
    rc = sandbox_rules(ctx, sandbox_allowed, sizeof sandbox_allowed / sizeof sandbox_allowed[0],
                       SCMP_ACT_ALLOW);
  if (rc == 0)
    rc = sandbox_rules(ctx, sandbox_killed, sizeof sandbox_killed / sizeof sandbox_killed[0],
                       SCMP_ACT_KILL_PROCESS);
  if (rc == 0)
    rc = seccomp_load(ctx);
  seccomp_release(ctx);
  return rc;
}

/* -------------------------------------------------------------- io_uring */

int sandbox_restrict_ring(struct io_uring *ring)
{
  static const uint8_t ops[] = { IORING_OP_ACCEPT, IORING_OP_RECV, IORING_OP_SEND, IORING_OP_SENDMSG,
                                 IORING_OP_READ, IORING_OP_WRITE, IORING_OP_CONNECT, IORING_OP_TIMEOUT,
                                 IORING_OP_ASYNC_CANCEL };
  struct io_uring_restriction res[sizeof ops + 1];
  memset(res, 0, sizeof res);
  for (size_t i = 0; i < sizeof ops; i++) {
    res[i].opcode = IORING_RESTRICTION_SQE_OP;
    res[i].sqe_op = ops[i];
  }
  res[sizeof ops].opcode = IORING_RESTRICTION_SQE_FLAGS_ALLOWED;
  res[sizeof ops].sqe_flags = IOSQE_BUFFER_SELECT;
  /* Debian's liburing 2.3 declares but does not export the two wrappers */
  if (syscall(SYS_io_uring_register, ring->ring_fd, IORING_REGISTER_RESTRICTIONS, res,
              (unsigned)(sizeof ops + 1)) < 0 ||
      syscall(SYS_io_uring_register, ring->ring_fd, IORING_REGISTER_ENABLE_RINGS, NULL, 0) < 0)
    return -errno;
  return 0;
}
