/* Locks shared with certmagic's file storage: locks/<Safe(key)>.lock made
 * with O_EXCL and holding {"created","updated"} (RFC 3339) that the holder's
 * thread refreshes every 5 s; a lock not refreshed for 10 s is stale and
 * taken over, so a holder that died does not block the others for long. */

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "acme.h"

#define ACME_LOCK_STALE (2 * ACME_LOCK_FRESHNESS)
#define ACME_LOCK_POLL_MS 1000       /* certmagic's fileLockPollInterval */

struct acme_lock {
  char path[4200];
  char created[64];
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cond;
  int stop;
};

/* now as Go marshals a UTC time.Time: 2006-01-02T15:04:05.999999999Z */
static void acme_lock_now(char *out, size_t cap)
{
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  size_t n = strftime(out, cap, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(out + n, cap - n, ".%09ldZ", ts.tv_nsec);
}

/* seconds since the epoch of an RFC 3339 time, or -1 */
static int64_t acme_lock_parse_time(const char *s)
{
  struct tm tm = { 0 };
  const char *p = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
  if (!p)
    return -1;
  int64_t t = (int64_t)timegm(&tm);
  if (*p == '.')
    for (p++; *p >= '0' && *p <= '9'; p++) {}
  int hh, mm;
  if (*p == 'Z')
    return t;
  if ((*p == '+' || *p == '-') && sscanf(p + 1, "%d:%d", &hh, &mm) == 2)
    return *p == '+' ? t - hh * 3600 - mm * 60 : t + hh * 3600 + mm * 60;
  return -1;
}

static int acme_lock_write(int fd, const char *created)
{
  char now[64], text[200];
  acme_lock_now(now, sizeof now);
  int n = snprintf(text, sizeof text, "{\"created\":\"%s\",\"updated\":\"%s\"}\n", created ? created : now, now);
  if (ftruncate(fd, 0) < 0 || pwrite(fd, text, (size_t)n, 0) != n)
    return -EIO;
  return fsync(fd) == 0 ? 0 : -errno;
}

/* 1 when the lock at path was last refreshed more than 10 s ago (or holds
 * no readable time and has not been written to for that long) */
static int acme_lock_stale(const char *path)
{
  char *text = NULL;
  size_t len = 0;
  struct stat st;
  if (stat(path, &st) < 0)
    return 0;
  int64_t ref = -1, now = (int64_t)time(NULL);
  if (acme_store_read(path, &text, &len) == 0) {
    json_t *meta = json_loadb(text, len, 0, NULL);
    ref = acme_lock_parse_time(json_string_value(json_object_get(meta, "updated")));
    if (ref < 0)
      ref = acme_lock_parse_time(json_string_value(json_object_get(meta, "created")));
    json_decref(meta);
    free(text);
  }
  if (ref < 0)
    ref = (int64_t)st.st_mtime;
  return now - ref > ACME_LOCK_STALE;
}

static void *acme_lock_refresh(void *arg)
{
  struct acme_lock *l = arg;
  pthread_mutex_lock(&l->mu);
  while (!l->stop) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ACME_LOCK_FRESHNESS;
    if (pthread_cond_timedwait(&l->cond, &l->mu, &until) != ETIMEDOUT || l->stop)
      continue;
    int fd = open(l->path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
      break;               /* taken away (or released): nothing to keep fresh */
    acme_lock_write(fd, l->created);
    close(fd);
  }
  pthread_mutex_unlock(&l->mu);
  return NULL;
}

static int acme_lock_create(struct acme_lock *l)
{
  int fd = open(l->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0)
    return -errno;
  acme_lock_now(l->created, sizeof l->created);
  int rc = acme_lock_write(fd, l->created);
  close(fd);
  if (rc < 0)
    unlink(l->path);
  return rc;
}

int acme_lock_acquire(const char *root, const char *key, int timeout, struct acme_lock **out, char *err,
                      size_t errcap)
{
  char safe[512];
  struct acme_lock *l = calloc(1, sizeof *l);
  if (!l)
    return -ENOMEM;
  acme_store_safe(key, safe, sizeof safe);
  snprintf(l->path, sizeof l->path, "%s/locks", root);
  mkdir(root, 0700);
  mkdir(l->path, 0700);
  snprintf(l->path, sizeof l->path, "%s/locks/%s.lock", root, safe);
  time_t until = time(NULL) + timeout;
  int rc;
  while ((rc = acme_lock_create(l)) == -EEXIST) {
    if (acme_lock_stale(l->path)) {
      unlink(l->path);     /* its holder stopped refreshing: take it over */
      continue;
    }
    if (time(NULL) >= until)
      break;
    usleep(ACME_LOCK_POLL_MS * 1000);
  }
  if (rc == 0) {
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cond, NULL);
    if ((rc = -pthread_create(&l->thread, NULL, acme_lock_refresh, l)) < 0)
      unlink(l->path);
  }
  if (rc < 0) {
    acme_err(err, errcap, "%s: %s", l->path, rc == -EEXIST ? "still held by another process" : strerror(-rc));
    free(l);
    return rc == -EEXIST ? -ETIMEDOUT : rc;
  }
  *out = l;
  return 0;
}

void acme_lock_release(struct acme_lock *l)
{
  if (!l)
    return;
  pthread_mutex_lock(&l->mu);
  l->stop = 1;
  pthread_cond_signal(&l->cond);
  pthread_mutex_unlock(&l->mu);
  pthread_join(l->thread, NULL);
  unlink(l->path);
  pthread_mutex_destroy(&l->mu);
  pthread_cond_destroy(&l->cond);
  free(l);
}
