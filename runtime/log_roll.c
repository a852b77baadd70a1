/* Log file rolling (log_roll.h), lumberjack's rules as Caddy's file
 * writer configures them. Only the roller thread renames, opens, removes
 * and compresses; workers reserve bytes in the packed state word. */
#include "log_roll.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define ROLL_SIZE_MASK ((UINT64_C(1) << 48) - 1)
#define ROLL_MAX_FILES 4096   /* rolled files one mill looks at */

int log_roll_open(struct log_roll *r, const char *path, unsigned mode, unsigned size_mb, unsigned keep,
                  unsigned keep_days, int gzip, int local_time)
{
  memset(r, 0, sizeof *r);
  r->path = path;
  r->mode = mode ? mode : 0600;
  r->max_bytes = (uint64_t)size_mb * 1024 * 1024;
  r->keep = keep;
  r->keep_days = keep_days;
  r->gzip = gzip;
  r->local_time = local_time;
  r->fd[1] = -1;
  r->efd = -1;
  r->fd[0] = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, r->mode);
  struct stat st;
  if (r->fd[0] < 0 || fstat(r->fd[0], &st) < 0) {
    int rc = -errno;
    if (r->fd[0] >= 0)
      close(r->fd[0]);
    return rc;
  }
  /* as Caddy: a file that exists gets the mode too, kept across rolls */
  if ((st.st_mode & 07777) != r->mode && fchmod(r->fd[0], r->mode) < 0) {
    int rc = -errno;
    close(r->fd[0]);
    return rc;
  }
  atomic_store(&r->state, (uint64_t)st.st_size & ROLL_SIZE_MASK);
  return 0;
}

size_t log_roll_reserve(struct log_roll *r, const char *buf, size_t len, int *fd, unsigned *slot)
{
  uint64_t s = atomic_load(&r->state);
  for (;;) {
    uint64_t gen = s >> 48, size = s & ROLL_SIZE_MASK;
    size_t take = len;
    if (size > 0 && size + len > r->max_bytes) {
      /* lumberjack sees one line per write: the lines that still fit go to
       * this file, the roll comes before the first that does not */
      size_t room = size < r->max_bytes ? (size_t)(r->max_bytes - size) : 0;
      const char *nl = room ? memrchr(buf, '\n', room) : NULL;
      take = nl ? (size_t)(nl - buf) + 1 : 0;
    }
    if (!take) {
      if (atomic_exchange(&r->wanted, gen + 1) != gen + 1) {
        uint64_t one = 1;
        if (write(r->efd, &one, sizeof one) < 0) {
          /* the counter is full: the roller is awake anyway */
        }
      }
      return 0;
    }
    unsigned k = (unsigned)(gen & 1);
    atomic_fetch_add(&r->inflight[k], 1);   /* before the state moves: the roller waits for it */
    if (atomic_compare_exchange_weak(&r->state, &s, s + take)) {
      *fd = r->fd[k];
      *slot = k;
      return take;
    }
    atomic_fetch_sub(&r->inflight[k], 1);
  }
}

void log_roll_done(struct log_roll *r, unsigned slot)
{
  atomic_fetch_sub(&r->inflight[slot], 1);
}

/* ---------------------------------------------------------------- names */

/* dir (with its '/', may be empty), the name's part before its extension, the extension */
static void roll_split(const char *path, size_t *dir_len, size_t *stem_len, const char **ext)
{
  const char *slash = strrchr(path, '/');
  const char *base = slash ? slash + 1 : path;
  const char *dot = strrchr(base, '.');
  *dir_len = (size_t)(base - path);
  *ext = dot ? dot : base + strlen(base);   /* Go's filepath.Ext */
  *stem_len = (size_t)(*ext - base);
}

int log_roll_backup_name(const char *path, const struct timespec *t, int local_time, char *out, size_t cap)
{
  size_t dir_len, stem_len;
  const char *ext;
  roll_split(path, &dir_len, &stem_len, &ext);
  struct tm tm;
  if (!(local_time ? localtime_r(&t->tv_sec, &tm) : gmtime_r(&t->tv_sec, &tm)))
    return -1;
  int n = snprintf(out, cap, "%.*s-%04d-%02d-%02dT%02d-%02d-%02d.%03ld%s", (int)(dir_len + stem_len), path,
                   tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                   t->tv_nsec / 1000000, ext);
  return n < 0 || (size_t)n >= cap ? -1 : 0;
}

static int roll_digits(const char *s, int n, int *out)
{
  *out = 0;
  for (int i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9')
      return -1;
    *out = *out * 10 + (s[i] - '0');
  }
  return 0;
}

int log_roll_name_time(const char *path, const char *entry, int64_t *ms)
{
  size_t dir_len, stem_len;
  const char *ext;
  roll_split(path, &dir_len, &stem_len, &ext);
  const char *stem = path + dir_len;
  size_t ext_len = strlen(ext), len = strlen(entry);
  if (len < stem_len + 1 || memcmp(entry, stem, stem_len) || entry[stem_len] != '-')
    return -1;
  if (len >= 3 && !strcmp(entry + len - 3, ".gz"))
    len -= 3;
  if (len < stem_len + 1 + ext_len || memcmp(entry + len - ext_len, ext, ext_len))
    return -1;
  const char *ts = entry + stem_len + 1;
  if ((size_t)(entry + len - ext_len - ts) != 23)   /* 2006-01-02T15-04-05.000 */
    return -1;
  int y, mo, d, h, mi, s, f;
  if (roll_digits(ts, 4, &y) || ts[4] != '-' || roll_digits(ts + 5, 2, &mo) || ts[7] != '-' ||
      roll_digits(ts + 8, 2, &d) || ts[10] != 'T' || roll_digits(ts + 11, 2, &h) || ts[13] != '-' ||
      roll_digits(ts + 14, 2, &mi) || ts[16] != '-' || roll_digits(ts + 17, 2, &s) || ts[19] != '.' ||
      roll_digits(ts + 20, 3, &f))
    return -1;
  static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap) || h > 23 || mi > 59 ||
      s > 59)
    return -1;   /* what Go's time.Parse refuses */
  struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi, .tm_sec = s};
  *ms = (int64_t)timegm(&tm) * 1000 + f;
  return 0;
}

/* ---------------------------------------------------------------- the mill */

struct roll_file {
  char *name;                  /* in the directory */
  int64_t ms;
};

static int roll_newest_first(const void *a, const void *b)
{
  const struct roll_file *x = a, *y = b;
  return x->ms < y->ms ? 1 : x->ms > y->ms ? -1 : strcmp(x->name, y->name);
}

/* dir/src to dir/src.gz with src's mode, then src removed (lumberjack's compressLogFile) */
static void roll_gzip_file(int dirfd, const char *src, void (*between)(void *), void *arg)
{
  char dst[NAME_MAX + 8];
  if (snprintf(dst, sizeof dst, "%s.gz", src) >= (int)sizeof dst)
    return;
  int in = openat(dirfd, src, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (in < 0 || fstat(in, &st) < 0) {
    if (in >= 0)
      close(in);
    return;
  }
  int out = openat(dirfd, dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, st.st_mode & 07777);
  z_stream z = {0};
  int ok = out >= 0 && deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK;
  static unsigned char ibuf[65536], obuf[65536];   /* only the roller thread compresses */
  for (int flush = Z_NO_FLUSH; ok && flush != Z_FINISH;) {
    ssize_t n = read(in, ibuf, sizeof ibuf);
    if (n < 0) {
      ok = 0;
      break;
    }
    flush = n == 0 ? Z_FINISH : Z_NO_FLUSH;
    if (between)
      between(arg);   /* a roll asked for meanwhile is not kept waiting for the compression */
    z.next_in = ibuf;
    z.avail_in = (unsigned)n;
    do {
      z.next_out = obuf;
      z.avail_out = sizeof obuf;
      deflate(&z, flush);
      size_t have = sizeof obuf - z.avail_out;
      if (have && write(out, obuf, have) != (ssize_t)have)
        ok = 0;
    } while (ok && z.avail_out == 0);
  }
  if (out >= 0)
    deflateEnd(&z);
  close(in);
  if (out >= 0 && close(out) < 0)
    ok = 0;
  if (ok)
    unlinkat(dirfd, src, 0);
  else if (out >= 0)
    unlinkat(dirfd, dst, 0);   /* as lumberjack: a failed copy leaves the rolled file as it was */
}

void log_roll_mill(const struct log_roll *r, int64_t now_ms, void (*between)(void *), void *arg)
{
  size_t dir_len, stem_len;
  const char *ext;
  roll_split(r->path, &dir_len, &stem_len, &ext);
  char dir[4096];
  snprintf(dir, sizeof dir, "%.*s", dir_len ? (int)dir_len : 1, dir_len ? r->path : ".");
  int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *d = dirfd >= 0 ? fdopendir(dup(dirfd)) : NULL;
  if (!d) {
    if (dirfd >= 0)
      close(dirfd);
    return;
  }
  struct roll_file *files = calloc(ROLL_MAX_FILES, sizeof *files);
  size_t n = 0;
  for (struct dirent *e; files && n < ROLL_MAX_FILES && (e = readdir(d));) {
    int64_t ms;
    if ((e->d_type == DT_REG || e->d_type == DT_UNKNOWN) && log_roll_name_time(r->path, e->d_name, &ms) == 0 &&
        (files[n].name = strdup(e->d_name)))
      files[n++].ms = ms;
  }
  closedir(d);
  qsort(files, n, sizeof *files, roll_newest_first);
  /* roll_keep counts a rolled file and its .gz once, newest first */
  size_t distinct = 0;
  int64_t cutoff = now_ms - (int64_t)r->keep_days * 86400000;
  for (size_t i = 0; i < n; i++) {
    size_t len = strlen(files[i].name);
    int gz = len > 3 && !strcmp(files[i].name + len - 3, ".gz");
    int twin = 0;   /* the same rolled file, gzipped or not, seen just before */
    for (size_t k = 0; k < i && !twin; k++)
      twin = files[k].ms == files[i].ms && !strncmp(files[k].name, files[i].name, gz ? len - 3 : len);
    distinct += !twin;
    if ((r->keep && distinct > r->keep) || (r->keep_days && files[i].ms < cutoff))
      unlinkat(dirfd, files[i].name, 0);
    else if (r->gzip && !gz)
      roll_gzip_file(dirfd, files[i].name, between, arg);
  }
  for (size_t i = 0; i < n; i++)
    free(files[i].name);
  free(files);
  close(dirfd);
}

/* ---------------------------------------------------------------- the roller */

static int64_t roll_now_ms(struct timespec *t)
{
  clock_gettime(CLOCK_REALTIME, t);
  return (int64_t)t->tv_sec * 1000 + t->tv_nsec / 1000000;
}

/* the file of slot closed once the writes reserved in it are done */
static void roll_close_slot(struct log_roller *rr, struct log_roll *r, unsigned slot)
{
  while (atomic_load(&r->inflight[slot]) > 0 && !atomic_load(&rr->stop)) {
    struct timespec ms = {0, 1000000};
    nanosleep(&ms, NULL);
  }
  if (r->fd[slot] >= 0)
    close(r->fd[slot]);
  r->fd[slot] = -1;
}

/* lumberjack's rotate: the file renamed, a new one with its mode; its mill
 * comes after, and the next roll does not wait for it */
static void roll_swap(struct log_roller *rr, struct log_roll *r)
{
  uint64_t s = atomic_load(&r->state);
  if (atomic_exchange(&r->wanted, 0) != (s >> 48) + 1)
    return;   /* asked by a worker that saw the file before its last roll */
  unsigned old = (unsigned)((s >> 48) & 1), next = old ^ 1;
  roll_close_slot(rr, r, next);   /* the file two rolls back, if still open */
  struct timespec t;
  int64_t now = roll_now_ms(&t);
  char backup[4200];
  struct stat st;
  int fd = -1, mill = 1;
  if (fstat(r->fd[old], &st) == 0 && log_roll_backup_name(r->path, &t, r->local_time, backup, sizeof backup) == 0 &&
      rename(r->path, backup) == 0) {
    fd = open(r->path, O_WRONLY | O_APPEND | O_CREAT | O_TRUNC | O_CLOEXEC, st.st_mode & 07777);
    if (fd < 0 && rename(backup, r->path) < 0)
      mill = 0;   /* the file stays under its rolled name, written on: not compressed under the writes */
  }
  if (fd < 0)
    fd = dup(r->fd[old]);   /* cannot roll: go on appending, asked again after roll_size more */
  if (fd < 0)
    return;
  r->fd[next] = fd;
  atomic_store(&r->state, ((s >> 48) + 1) << 48);
  if (mill)
    r->mill_ms = now;
}

static void roll_swaps(void *arg)
{
  struct log_roller *rr = arg;
  for (unsigned i = 0; i < rr->count && !atomic_load(&rr->stop); i++)
    if (atomic_load(&rr->rolls[i]->wanted))
      roll_swap(rr, rr->rolls[i]);
}

static void *roll_thread(void *arg)
{
  struct log_roller *rr = arg;
  struct timespec t;
  for (unsigned i = 0; i < rr->count; i++)
    log_roll_mill(rr->rolls[i], roll_now_ms(&t), roll_swaps, rr);   /* as lumberjack's first open */
  while (!atomic_load(&rr->stop)) {
    struct pollfd p = {.fd = rr->efd, .events = POLLIN};
    uint64_t v;
    if (poll(&p, 1, 1000) > 0 && read(rr->efd, &v, sizeof v) < 0 && errno != EAGAIN)
      break;
    roll_swaps(rr);
    for (unsigned i = 0; i < rr->count && !atomic_load(&rr->stop); i++) {
      struct log_roll *r = rr->rolls[i];
      if (!r->mill_ms)
        continue;
      /* the rolled file is closed before the listing: no file still written is compressed */
      roll_close_slot(rr, r, (unsigned)((atomic_load(&r->state) >> 48) & 1) ^ 1);
      int64_t now = r->mill_ms;
      r->mill_ms = 0;
      log_roll_mill(r, now, roll_swaps, rr);
    }
  }
  return NULL;
}

int log_roller_start(struct log_roller *rr)
{
  if (!rr->count)
    return 0;
  rr->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (rr->efd < 0)
    return -errno;
  for (unsigned i = 0; i < rr->count; i++)
    rr->rolls[i]->efd = rr->efd;
  int rc = pthread_create(&rr->thread, NULL, roll_thread, rr);
  if (rc)
    return -rc;
  rr->started = 1;
  return 0;
}

void log_roller_stop(struct log_roller *rr)
{
  if (rr->started) {
    atomic_store(&rr->stop, 1);
    uint64_t one = 1;
    if (write(rr->efd, &one, sizeof one) < 0) {
      /* the counter is full: the thread is awake already */
    }
    pthread_join(rr->thread, NULL);
    rr->started = 0;
  }
  if (rr->efd >= 0)
    close(rr->efd);
  rr->efd = -1;
  for (unsigned i = 0; i < rr->count; i++)
    for (int k = 0; k < 2; k++)
      if (rr->rolls[i]->fd[k] >= 0) {
        close(rr->rolls[i]->fd[k]);
        rr->rolls[i]->fd[k] = -1;
      }
  rr->count = 0;
}
