/* HTTP-01 answered from the challenge tokens the certificate manager (or any
 * other node sharing the storage folder) published there. */
#ifndef ZSRT_HTTP01_H
#define ZSRT_HTTP01_H

struct blob;
struct http_request;
struct exec_decision;

/* certmagic's HandleHTTPChallenge: a GET for /.well-known/acme-challenge/TOKEN
 * whose host one of the blob's ACME certificates names, and whose token is
 * the one stored for that host by one of its issuers, is answered with the
 * key authorization (1, out filled). 0: not a challenge this blob answers;
 * the request goes on to the routes. Runs before the routes (and so before
 * the HTTP->HTTPS redirects), on every server, as Caddy's. */
int http01_answer(const struct blob *b, const struct http_request *req, struct exec_decision *out);

#endif
