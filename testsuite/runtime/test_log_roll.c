/* Log rolling's parts: lumberjack's rolled-file names (UTC and local,
 * extension kept, none), reading their time back (and refusing what Go's
 * time.Parse refuses), the reservation that asks for a roll, and the mill's
 * roll_keep, roll_keep_for and gzip on a scratch folder. */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "../check.h"
#include "runtime/log_roll.h"

static void test_names(void)
{
  char out[256];
  struct timespec t = {.tv_sec = 1136214245, .tv_nsec = 123456789};   /* 2006-01-02 15:04:05.123 UTC */
  CHECK(log_roll_backup_name("/var/log/caddy/access.log", &t, 0, out, sizeof out) == 0);
  CHECK(strcmp(out, "/var/log/caddy/access-2006-01-02T15-04-05.123.log") == 0);
  CHECK(log_roll_backup_name("access", &t, 0, out, sizeof out) == 0);
  CHECK(strcmp(out, "access-2006-01-02T15-04-05.123") == 0);
  CHECK(log_roll_backup_name("a.b/c.tar.log", &t, 0, out, sizeof out) == 0);
  CHECK(strcmp(out, "a.b/c.tar-2006-01-02T15-04-05.123.log") == 0);
  setenv("TZ", "<+0530>-05:30", 1);
  tzset();
  CHECK(log_roll_backup_name("x.log", &t, 1, out, sizeof out) == 0);
  CHECK(strcmp(out, "x-2006-01-02T20-34-05.123.log") == 0);
  CHECK(log_roll_backup_name("x.log", &t, 0, out, sizeof out - 240) < 0);   /* does not fit */

  int64_t ms = 0;
  CHECK(log_roll_name_time("/d/access.log", "access-2006-01-02T15-04-05.123.log", &ms) == 0 &&
        ms == 1136214245123);
  CHECK(log_roll_name_time("/d/access.log", "access-2006-01-02T15-04-05.123.log.gz", &ms) == 0 &&
        ms == 1136214245123);
  CHECK(log_roll_name_time("/d/access.log", "access.log", &ms) < 0);
  CHECK(log_roll_name_time("/d/access.log", "other-2006-01-02T15-04-05.123.log", &ms) < 0);
  CHECK(log_roll_name_time("/d/access.log", "access-2006-01-02T15-04-05.12.log", &ms) < 0);
  CHECK(log_roll_name_time("/d/access.log", "access-2006-02-30T15-04-05.123.log", &ms) < 0);
  CHECK(log_roll_name_time("/d/access.log", "access-2006-01-02T15-04-05.123.txt", &ms) < 0);
  CHECK(log_roll_name_time("/d/access.log", "access-2006-01-02T15-04-05.123.log.bz2", &ms) < 0);
  CHECK(log_roll_name_time("/d/access.log", "access-2004-02-29T00-00-00.000.log", &ms) == 0);
  CHECK(log_roll_name_time("/d/access.log", "access-2005-02-29T00-00-00.000.log", &ms) < 0);
}

static void test_reserve(const char *dir)
{
  char path[512];
  snprintf(path, sizeof path, "%s/r.log", dir);
  struct log_roll r;
  CHECK(log_roll_open(&r, path, 0, 1, 10, 90, 1, 0) == 0);
  int efd[2];
  CHECK(pipe2(efd, O_NONBLOCK) == 0);
  r.efd = efd[1];
  int fd = -1;
  unsigned slot = 9;
  static char lines[1024 * 1024];
  memset(lines, 'x', sizeof lines);
  lines[sizeof lines - 11] = '\n';
  CHECK(log_roll_reserve(&r, lines, sizeof lines - 10, &fd, &slot) == sizeof lines - 10 && fd == r.fd[0] &&
        slot == 0);
  log_roll_done(&r, slot);
  CHECK(atomic_load(&r.inflight[0]) == 0);
  /* 10 bytes left: the line that fits is reserved, the one after waits for the roll */
  CHECK(log_roll_reserve(&r, "aaaa\nbbbbbbbbbbbb\n", 18, &fd, &slot) == 5);
  log_roll_done(&r, slot);
  CHECK(log_roll_reserve(&r, "bbbbbbbbbbbb\n", 13, &fd, &slot) == 0);   /* past 1 MiB: a roll is asked for, once */
  CHECK(log_roll_reserve(&r, "cccccccccccc\n", 13, &fd, &slot) == 0);
  char buf[32];
  CHECK(read(efd[0], buf, sizeof buf) == 8 && atomic_load(&r.wanted) == 1);
  close(efd[0]);
  close(efd[1]);
  close(r.fd[0]);
  unlink(path);
}

static void touch(const char *dir, const char *name, const char *text)
{
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  if (f) {
    fputs(text, f);
    fclose(f);
  }
}

static int exists(const char *dir, const char *name)
{
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  return access(path, F_OK) == 0;
}

static void test_mill(const char *dir)
{
  touch(dir, "a-2026-01-05T00-00-00.000.log", "five\n");
  touch(dir, "a-2026-01-04T00-00-00.000.log.gz", "");
  touch(dir, "a-2026-01-03T00-00-00.000.log", "three\n");
  touch(dir, "a-2026-01-03T00-00-00.000.log.gz", "");   /* the same rolled file twice: counted once */
  touch(dir, "a-2026-01-02T00-00-00.000.log", "two\n");
  touch(dir, "a-2025-01-01T00-00-00.000.log", "old\n");
  touch(dir, "b-2020-01-01T00-00-00.000.log", "another log's\n");
  char path[512];
  snprintf(path, sizeof path, "%s/a.log", dir);
  struct log_roll r = {.path = path, .keep = 3, .keep_days = 90, .gzip = 1};
  int64_t now = 1767657600000;   /* 2026-01-06 */
  log_roll_mill(&r, now, NULL, NULL);
  CHECK(exists(dir, "a-2026-01-05T00-00-00.000.log.gz") && !exists(dir, "a-2026-01-05T00-00-00.000.log"));
  CHECK(exists(dir, "a-2026-01-04T00-00-00.000.log.gz"));
  CHECK(exists(dir, "a-2026-01-03T00-00-00.000.log.gz"));
  CHECK(!exists(dir, "a-2026-01-02T00-00-00.000.log"));   /* the fourth: past roll_keep */
  CHECK(!exists(dir, "a-2025-01-01T00-00-00.000.log"));
  CHECK(exists(dir, "b-2020-01-01T00-00-00.000.log"));
  snprintf(path, sizeof path, "%s/a-2026-01-05T00-00-00.000.log.gz", dir);
  gzFile g = gzopen(path, "rb");
  char text[32] = "";
  CHECK(g && gzread(g, text, sizeof text - 1) == 5 && strcmp(text, "five\n") == 0);
  if (g)
    gzclose(g);
  /* roll_keep_for alone */
  touch(dir, "a-2025-11-01T00-00-00.000.log", "within 90 days\n");
  r = (struct log_roll){.path = path, .keep_days = 90};
  snprintf(path, sizeof path, "%s/a.log", dir);
  log_roll_mill(&r, now, NULL, NULL);
  CHECK(exists(dir, "a-2025-11-01T00-00-00.000.log") && exists(dir, "a-2026-01-03T00-00-00.000.log.gz"));
  log_roll_mill(&r, now + 60ll * 86400000, NULL, NULL);
  CHECK(!exists(dir, "a-2025-11-01T00-00-00.000.log") && exists(dir, "a-2026-01-03T00-00-00.000.log.gz"));
}

int main(void)
{
  char dir[256];
  test_tmp_name(dir, sizeof dir, "roll");
  CHECK(mkdir(dir, 0700) == 0);
  test_names();
  test_reserve(dir);
  test_mill(dir);
  DIR *d = opendir(dir);
  for (struct dirent *e; d && (e = readdir(d));) {
    char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    if (e->d_name[0] != '.')
      unlink(path);
  }
  if (d)
    closedir(d);
  rmdir(dir);
  return check_failures ? 1 : 0;
}
