/* Rolling of access log files as Caddy's file writer (lumberjack) does it:
 * before a write would take the file past roll_size it is renamed to
 * NAME-2006-01-02T15-04-05.000.EXT and a new one is opened; rolled files
 * past roll_keep or older than roll_keep_for are removed, the rest gzipped.
 * Workers only reserve bytes with atomics and wake one roller thread, which
 * renames, opens, waits for the writes still going to the old file, then
 * compresses: a worker never waits for any of it. */
#ifndef ZSRT_LOG_ROLL_H
#define ZSRT_LOG_ROLL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* one rolled output; state is (generation << 48 | bytes in the file) */
struct log_roll {
  const char *path;
  unsigned mode;
  uint64_t max_bytes;
  unsigned keep, keep_days;
  int gzip, local_time;
  int fd[2];                   /* fd[generation & 1]: the file of that generation */
  _Atomic uint64_t state;
  _Atomic int inflight[2];     /* writes reserved in generation g, by g & 1 */
  _Atomic uint64_t wanted;     /* generation + 1 of the file a worker found full; 0: none */
  int efd;                     /* the roller's eventfd */
  int64_t mill_ms;             /* the roller's: when it rolled last, the mill not run since; 0: none */
};

struct log_roller {
  pthread_t thread;
  int efd, started;
  _Atomic int stop;
  struct log_roll *rolls[32];
  unsigned count;
};

/* opens path for appending as Caddy does (created with mode, an existing
 * file set to mode); 0 or -errno */
int log_roll_open(struct log_roll *r, const char *path, unsigned mode, unsigned size_mb, unsigned keep,
                  unsigned keep_days, int gzip, int local_time);

/* starts the thread once the rolls are added (before seccomp: it clones) */
int log_roller_start(struct log_roller *rr);
/* stops it and closes every roll's file */
void log_roller_stop(struct log_roller *rr);

/* worker side: room in the current file for buf's first len bytes, whole
 * lines. The bytes reserved (all, or the lines that fit before the roll):
 * write them to *fd and call log_roll_done(*slot) when that completes; 0: a
 * roll is under way, try again later (the bytes are kept) */
size_t log_roll_reserve(struct log_roll *r, const char *buf, size_t len, int *fd, unsigned *slot);
void log_roll_done(struct log_roll *r, unsigned slot);

/* the rolled file's name for path at t (ms precision), lumberjack's */
int log_roll_backup_name(const char *path, const struct timespec *t, int local_time, char *out, size_t cap);
/* the time in a rolled file's name (a file of name, with or without .gz): 0
 * and *ms (since the epoch, read as UTC as lumberjack does), or -1 */
int log_roll_name_time(const char *path, const char *entry, int64_t *ms);

/* the removals and compressions after a roll, at now (ms since the epoch);
 * between (when not NULL) is called between compressed chunks */
void log_roll_mill(const struct log_roll *r, int64_t now_ms, void (*between)(void *), void *arg);

#endif
