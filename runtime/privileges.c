/* privileges_drop (privileges.h). Called while the process has one thread,
 * so no other thread keeps root credentials; glibc would broadcast setuid to
 * every thread anyway, but io_uring worker threads created later inherit
 * only what the creating thread has then. */
#include "privileges.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

static int privileges_fail(char *err, size_t len, const char *what, int e)
{
  snprintf(err, len, "%s: %s", what, e ? strerror(e) : "not found");
  return -1;
}

int privileges_drop(const char *user, const char *group, char *err, size_t err_len)
{
  errno = 0;
  struct passwd *pw = getpwnam(user);
  if (!pw)
    return privileges_fail(err, err_len, user, errno);
  uid_t uid = pw->pw_uid;
  gid_t gid = pw->pw_gid;
  if (group) {
    errno = 0;
    struct group *gr = getgrnam(group);
    if (!gr)
      return privileges_fail(err, err_len, group, errno);
    gid = gr->gr_gid;
  }
  if (getuid() == uid && geteuid() == uid && getgid() == gid && getegid() == gid)
    return 0;   /* started as that user already (systemd's User=) */
  if (setgroups(1, &gid) != 0)
    return privileges_fail(err, err_len, "setgroups", errno);
  if (setresgid(gid, gid, gid) != 0)
    return privileges_fail(err, err_len, "setgid", errno);
  if (setresuid(uid, uid, uid) != 0)
    return privileges_fail(err, err_len, "setuid", errno);
  /* a dropped process must not get root back, by setuid or by exec */
  if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0))
    return privileges_fail(err, err_len, "root could be regained", EPERM);
  if (getuid() != uid || geteuid() != uid || getgid() != gid || getegid() != gid)
    return privileges_fail(err, err_len, "credentials did not change", EPERM);
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  return 0;
}
