/* --run-request: one raw HTTP/1.1 request from a file through a blob, with the
 * decision printed in a stable text form (for golden and differential tests). */
#ifndef ZSRT_RUN_REQUEST_H
#define ZSRT_RUN_REQUEST_H

#include <stdio.h>

/* port: the listener port the request is taken to arrive on (0: the first
 * listener's). Prints to out; errors go to stderr. Returns the process exit
 * code: 0 ok, 1 runtime error. */
struct auth_job;
/* verify: bcrypt's compare for basic_auth (auth_verify), done on the spot
 * here; NULL where zsrt is built without libcrypt (a basic_auth is a 500) */
int run_request_main(const char *request_path, int port, const char *blob_path, FILE *out,
                     int (*verify)(const struct auth_job *job));

#endif
