/* Caddy's file matcher (MatchFile.selectFile) for one request: a root, then
 * each candidate joined under it and stat'ed, the one its try policy picks
 * kept with the placeholders it sets. helpers.c drives it from the guest's
 * file_begin, file_try and file_end. */
#ifndef ZSRT_FILE_MATCH_H
#define ZSRT_FILE_MATCH_H

#include <limits.h>
#include <stddef.h>
#include <time.h>

struct file_match {
  unsigned policy;             /* enum zs_file_policy */
  int active, found;
  const char *split;           /* split_path, each NUL-terminated */
  size_t split_len;
  char root[PATH_MAX];
  size_t root_len;
  char full[PATH_MAX];         /* the candidate picked so far */
  size_t full_len;
  char rest[PATH_MAX];         /* its split_path remainder */
  size_t rest_len;
  int dir;
  long long size;
  struct timespec mtime;
};

/* starts a match: root (filepath.Clean'ed, "." when empty); 0 or -ENAMETOOLONG */
int file_match_begin(struct file_match *m, unsigned policy, const char *root, size_t root_len,
                     const char *split, size_t split_len);

/* one candidate as the placeholders left it (flags: ZS_FILE_DIR, written
 * with a trailing '/'; ZS_FILE_LAST); stats it unless the policy already
 * has its answer or takes it unseen. 0 or -errno for a candidate too long
 * to be a path (which then matches nothing). */
int file_match_try(struct file_match *m, const char *cand, size_t len, unsigned flags);

/* http.matchers.file.relative of the picked candidate: the full path
 * without the root, as strings.TrimPrefix leaves it */
const char *file_match_relative(const struct file_match *m, size_t *len);

#endif
