/* Dropping root: zsrt --user USER [--group GROUP] gives up root once the
 * listeners are bound and the blob and pid file are open. */
#ifndef ZSRT_PRIVILEGES_H
#define ZSRT_PRIVILEGES_H

#include <stddef.h>

/* setgroups (to just the group), setgid, setuid, then checks that root
 * cannot be regained. group NULL: the user's primary group. 0, or -1 with
 * the reason in err. Must run before any thread is started. */
int privileges_drop(const char *user, const char *group, char *err, size_t err_len);

#endif
