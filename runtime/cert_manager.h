/* The certificate manager: zsrt-acme in its `manage` mode, started by zsrt
 * when the blob has ACME certificates. It runs as a process of its own (the
 * account keys and the CA conversation never live in a process that parses
 * requests) and writes "NAME\n" to a pipe each time a name's certificate in
 * storage is new; the main thread reads the pipe and reloads the contexts. */
#ifndef ZSRT_CERT_MANAGER_H
#define ZSRT_CERT_MANAGER_H

#include <stddef.h>
#include <sys/types.h>

struct blob;

struct cert_manager {
  pid_t pid;                       /* 0: not running */
  int fd;                          /* the notify pipe's read end (non-blocking), -1 */
  char line[1024];
  size_t len;
};

/* zsrt-acme's path: next to the running zsrt. 0 or -errno. */
int cert_manager_path(char *out, size_t cap);

/* starts the manager for the blob's ACME certificates (storage is the
 * storage root): 1 started, 0 the blob has none, -errno (err says why).
 * Called with one thread, before the sandbox closes. */
int cert_manager_start(struct cert_manager *m, const struct blob *b, const char *storage, char *err, size_t errcap);

/* the next name the manager announced, without blocking: 1 (name filled),
 * 0 nothing new, -EPIPE the manager is gone */
int cert_manager_poll(struct cert_manager *m, char *name, size_t cap);

void cert_manager_stop(struct cert_manager *m);

#endif
