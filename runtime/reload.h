/* Reload: refcounted blobs, the server-wide "current blob" a SIGHUP replaces,
 * and the per-worker swap at a point between requests. A worker serves every
 * new request from its own blob; it moves to a newer one at its next safe
 * point (reload_worker_sync, called by the loop once per batch of
 * completions), and drops its reference to the old blob, which is unmapped
 * when its last user is gone. */
#ifndef ZSRT_RELOAD_H
#define ZSRT_RELOAD_H

#include <pthread.h>
#include <stdatomic.h>

#include "loader.h"

struct worker;
struct worker_log;

struct blob_ref {
  struct blob blob;
  atomic_int refs;
  int borrowed;                /* the caller's blob: not closed at zero */
};

/* owned by server_run; workers point at it through their reload_slot */
struct reload_state {
  pthread_mutex_t lock;
  struct blob_ref *current;    /* what new work starts on; holds one reference */
  atomic_uint gen;             /* bumped by every accepted reload */
};

/* a worker's view: the blob it serves and the generation it has seen */
struct reload_slot {
  struct reload_state *state;
  struct blob_ref *ref;
  unsigned gen;
};

/* opens and validates path (blob_open) into a new reference (count 1) */
struct blob_ref *blob_ref_open(const char *path, char *err, size_t err_len);
/* wraps a blob the caller keeps open (server_run's first blob) */
struct blob_ref *blob_ref_borrow(const struct blob *b);
void blob_ref_get(struct blob_ref *r);
void blob_ref_put(struct blob_ref *r);   /* unmaps at zero */

void reload_state_init(struct reload_state *s, struct blob_ref *first);
void reload_state_fini(struct reload_state *s);
/* the current blob, with a reference for the caller */
struct blob_ref *reload_current(struct reload_state *s);

/* 0 when next can replace cur without touching listeners (same addresses,
 * in the same order); else -1 with the reason in why */
int reload_same_listeners(const struct blob *cur, const struct blob *next, char *why, size_t len);

/* makes next current (taking over the caller's reference) */
void reload_publish(struct reload_state *s, struct blob_ref *next);

/* The loop's hook, between requests: when a newer blob is current, moves the
 * worker to it (a fresh cage, the listeners' and connections' server
 * indices, the upstream pool when the upstreams changed and none is busy).
 * Cheap when nothing changed: one atomic load. */
void reload_worker_sync(struct worker *w);

/* The TLS contexts are built once, at start, for the servers by index: a
 * blob that changes which servers speak TLS or any tls_* row is refused
 * (0 or -1 with the reason in why) until zsrt restarts. */
int reload_same_tls(const struct blob *a, const struct blob *b, char *why, size_t len);
/* 0 when both blobs have the same loggers (their outputs stay open), else -1 and why */
int reload_same_loggers(const struct blob *a, const struct blob *b, char *why, size_t len);

#endif
