/* The local certificate authority of `tls internal`, as Caddy's caddypki:
 * a P-256 root and intermediate kept in storage at Caddy's paths
 * (pki/authorities/local/{root,intermediate}.{crt,key}), leaf certificates
 * issued from the intermediate, and installing the root into the system
 * trust store (`zsrt trust`). Start-time code: it allocates and does I/O. */
#ifndef ZSRT_TLS_CA_H
#define ZSRT_TLS_CA_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Caddy's defaults (modules/caddypki/ca.go, internal issuer) */
#define TLS_CA_NAME_DEFAULT "Caddy Local Authority"
#define TLS_CA_ROOT_LIFETIME (3600LL * 24 * 30 * 12 * 10) /* "10 years": 3600 days */
#define TLS_CA_INTERMEDIATE_LIFETIME (3600LL * 24 * 7)
#define TLS_CA_LEAF_LIFETIME (3600LL * 12)
#define TLS_CA_BACKDATE 60                                  /* notBefore a minute early, as smallstep */

struct tls_ca_config {
  const char *storage;                     /* the storage folder (Caddy's file_system root) */
  const char *id;                          /* authority id; "local" */
  const char *name;                        /* "Caddy Local Authority" */
  int64_t intermediate_lifetime, leaf_lifetime; /* seconds; 0: defaults */
};

struct tls_ca {
  void *root, *root_key, *inter, *inter_key; /* X509 *, EVP_PKEY * */
  char dir[4096];                          /* <storage>/pki/authorities/<id> */
  char name[128];
  int64_t intermediate_lifetime, leaf_lifetime;
  int created_root, created_intermediate;  /* what this open made (rather than loaded) */
};

/* A leaf: PEM chain (leaf, intermediate) and key, and its validity. */
struct tls_ca_leaf {
  char *chain_pem, *key_pem;               /* malloc'd */
  int64_t not_before, not_after, renew_at; /* unix seconds */
};

/* loads the authority from storage, creating (and storing) what is missing;
 * an intermediate that is due for renewal is replaced. 0 or -errno. */
int tls_ca_open(struct tls_ca *ca, const struct tls_ca_config *cfg, int64_t now, char *err, size_t errcap);
void tls_ca_close(struct tls_ca *ca);
/* renews the intermediate when a fifth of its lifetime is left (caddypki);
 * 1 renewed, 0 not due, -errno */
int tls_ca_maintain(struct tls_ca *ca, int64_t now, char *err, size_t errcap);

/* issues a leaf for DNS names and IP addresses (text form), signed by the
 * intermediate, valid for leaf_lifetime from now */
int tls_ca_issue(struct tls_ca *ca, const char *const *names, size_t count, int64_t now, struct tls_ca_leaf *leaf,
                 char *err, size_t errcap);
void tls_ca_leaf_free(struct tls_ca_leaf *leaf);
/* when certmagic renews a certificate: with a third of its lifetime left */
int64_t tls_ca_renew_at(int64_t not_before, int64_t not_after);
/* writes the leaf where certmagic keeps it:
 * <storage>/certificates/<id>/<name>/<name>.crt and .key ("*" as "wildcard_") */
int tls_ca_store_leaf(const struct tls_ca *ca, const char *storage, const char *name, const struct tls_ca_leaf *leaf,
                      char *err, size_t errcap);
/* the leaf certmagic (or an earlier start) stored for name, when it was
 * issued by this authority's intermediate and is not due for renewal:
 * 0, -ENOENT (none), -EINVAL (another issuer's), -ESTALE (due) */
int tls_ca_load_leaf(const struct tls_ca *ca, const char *storage, const char *name, int64_t now,
                     struct tls_ca_leaf *leaf);
/* the root certificate's PEM (malloc'd), and its subject common name */
char *tls_ca_root_pem(const struct tls_ca *ca);
int tls_ca_root_common_name(const struct tls_ca *ca, char *out, size_t cap);

/* `zsrt trust`: copy the root into dest_dir (Debian:
 * /usr/local/share/ca-certificates) as "<root CN with _ for spaces>.crt"
 * and run the refresh command (update-ca-certificates), unless that file
 * already holds the root. With dry_run nothing changes: the command is only
 * written into cmd_out. untrust removes the file again. */
struct tls_trust_target {
  const char *dest_dir;                    /* NULL: the Debian folder */
  const char *const *command;              /* argv; NULL: update-ca-certificates (untrust: with --fresh) */
  int dry_run;
};
int tls_ca_install_trust(const struct tls_ca *ca, const struct tls_trust_target *t, char *cmd_out, size_t cmd_cap,
                         char *err, size_t errcap);
int tls_ca_uninstall_trust(const struct tls_ca *ca, const struct tls_trust_target *t, char *cmd_out, size_t cmd_cap,
                           char *err, size_t errcap);

#endif
