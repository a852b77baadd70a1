/* A parsed HTTP request head: zero-copy slices into the connection's buffer
 * (HTTP/1.x) or a stream's header storage (HTTP/2). Produced by http1.c and
 * h2/h2_stream.c, consumed by exec.c. */
#ifndef ZSRT_HTTP_H
#define ZSRT_HTTP_H

#include <stddef.h>
#include <stdint.h>

#define HTTP_MAX_HEADERS 100

struct http_header {
  const char *name;
  size_t name_len;
  const char *value;           /* leading and trailing whitespace trimmed */
  size_t value_len;
};

struct http_request {
  const char *method;
  size_t method_len;
  const char *target;          /* request-target as sent: origin-form or absolute-form */
  size_t target_len;
  int version_minor;           /* HTTP/1.x; 1 for HTTP/2 (Host is required there too) */
  int http2;                   /* came as an HTTP/2 stream: proto is "HTTP/2.0" */
  struct http_header headers[HTTP_MAX_HEADERS];
  size_t header_count;
  size_t head_len;             /* bytes of the head, including the final CRLF CRLF */
  int64_t content_length;      /* -1 when absent */
  int chunked;                 /* Transfer-Encoding: chunked */
  int keep_alive;              /* after Connection and version rules */
  int expect_continue;
  /* The Host the request is for (RFC 9112 3.2.2): the authority of an
   * absolute-form target, else the Host field; routing, placeholders and
   * the proxy all use this one. NULL for HTTP/1.0 without either. */
  const char *host;
  size_t host_len;
  size_t origin_at;            /* where the path of the target starts (after an authority) */
};

/* where the request came in */
struct conn_info {
  char remote_ip[46];          /* textual, without brackets */
  uint16_t remote_port;
  uint16_t local_port;
  int tls;                     /* the connection speaks TLS; the rest is set once its handshake is done */
  int tls_resumed;
  int tls_client_cert;         /* the client presented a certificate ... */
  int tls_client_verified;     /* ... and it chained to the policy's trust pool */
  char tls_version[8];         /* Caddy's names: "tls1.2", "tls1.3" */
  char tls_alpn[16];           /* the negotiated protocol ("h2", "http/1.1"; "" none) */
  char tls_sni[256];           /* the server name the client sent ("" none) */
  char tls_cipher[64];         /* IANA name, as Go prints it */
  uint16_t tls_cipher_id;      /* its IANA number (access logs) */
  char tls_client_subject[256], tls_client_issuer[256];  /* its certificate, as Go prints the names */
  char tls_client_serial[64];
  char tls_client_fingerprint[65];
};

#endif
