/* site_tls: the blob's TLS tables to context chains (site_tls.h). Start
 * and renewal code on the main thread: it allocates, reads files and talks
 * to the local CA; the workers only load the published pointers. */
#include "site_tls.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "acme/acme_keys.h"
#include "loader.h"
#include "log.h"
#include "storage.h"
#include "tlsalpn.h"

/* abi's key types are the TLS layer's, value for value */
_Static_assert((int)ZS_KEY_P256 == (int)TLS_KEY_P256 && (int)ZS_KEY_P384 == (int)TLS_KEY_P384 &&
                 (int)ZS_KEY_RSA2048 == (int)TLS_KEY_RSA2048 && (int)ZS_KEY_RSA4096 == (int)TLS_KEY_RSA4096 &&
                 (int)ZS_KEY_ED25519 == (int)TLS_KEY_ED25519,
               "zs_key_type and tls_key_type differ");

#define SITE_TLS_MAX_CERTS 512       /* certificates after folders are expanded */
#define SITE_TLS_MAX_LIST 64         /* names, tags, ciphers, ... in one field */
#define SITE_TLS_MAX_POLICIES 64     /* connection policies of one server */
#define SITE_TLS_CHECK_EVERY 60      /* seconds between renewal checks */

/* one certificate as a context takes it, with the tags policies select by */
struct site_cert {
  struct tls_cert_source src;
  const char *tags[SITE_TLS_MAX_LIST];
  size_t tag_count;
  char *owned;                     /* a folder bundle's path (chain and key in one file) */
};

struct site_certs {
  struct site_cert certs[SITE_TLS_MAX_CERTS];
  size_t count;
};

static int site_fail(char *err, size_t cap, int rc, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int site_fail(char *err, size_t cap, int rc, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, cap, fmt, ap);
  va_end(ap);
  return rc;
}

/* ---- the local CA's leaves: one per name, as certmagic manages them ---- */

static struct site_tls_leaf *site_find_leaf(struct site_tls *t, const char *name)
{
  for (size_t i = 0; i < t->leaf_count; i++)
    if (strcmp(t->leaves[i].name, name) == 0)
      return &t->leaves[i];
  return NULL;
}

static int site_open_ca(struct site_tls *t, struct worker_log *log, int64_t now, char *err, size_t errcap)
{
  const struct blob *b = t->blob;
  const struct zs_tls_app *app = b->config->tls_app_count ? &b->tls_apps[0] : NULL;
  const char *name = app ? blob_string(b, app->ca_name_str) : "";
  struct tls_ca_config cfg = {.storage = t->storage, .id = "local", .name = name[0] ? name : NULL,
                              .leaf_lifetime = app ? app->leaf_lifetime : 0};
  int r = tls_ca_open(&t->ca, &cfg, now, err, errcap);
  if (r < 0)
    return r;
  t->ca_open = 1;
  if (t->ca.created_root) {
    log_begin(log, "info", "pki.ca.local", "root certificate created");
    log_cstr(log, "path", t->ca.dir);
    log_end(log);
  }
  if (app && (app->flags & ZS_TLS_SKIP_INSTALL_TRUST))
    return 0;
  /* as Caddy at start: try to make clients on this machine trust the root; failing is a warning */
  char cmd[512] = "", why[300] = "";
  struct tls_trust_target target = {0};
  int ok = tls_ca_install_trust(&t->ca, &target, cmd, sizeof cmd, why, sizeof why) == 0;
  log_begin(log, ok ? "info" : "warn", "pki.ca.local",
            ok ? "root certificate is installed in the system trust store"
               : "could not install the root certificate into the system trust store");
  log_cstr(log, ok ? "command" : "error", ok ? cmd : why);
  log_end(log);
  return 0;
}

/* the stored leaf when it is current, else a new one (stored as certmagic does) */
static int site_issue_leaf(struct site_tls *t, struct site_tls_leaf *l, int64_t now, int reuse, char *err,
                           size_t errcap)
{
  struct tls_ca_leaf fresh;
  if (reuse && tls_ca_load_leaf(&t->ca, t->storage, l->name, now, &fresh) == 0) {
    tls_ca_leaf_free(&l->leaf);
    l->leaf = fresh;
    return 0;
  }
  int r = tls_ca_issue_key(&t->ca, &l->name, 1, l->key_type, now, &fresh, err, errcap);
  if (r < 0)
    return r;
  tls_ca_leaf_free(&l->leaf);
  l->leaf = fresh;
  /* a storage we cannot write costs the next start a new leaf, not this one */
  char why[300];
  tls_ca_store_leaf(&t->ca, t->storage, l->name, &l->leaf, why, sizeof why);
  return 0;
}

static int site_prepare_leaves(struct site_tls *t, struct worker_log *log, int64_t now, char *err, size_t errcap)
{
  const struct blob *b = t->blob;
  for (unsigned i = 0; i < b->config->tls_cert_count; i++) {
    const struct zs_tls_cert *row = &b->tls_certs[i];
    if (!(row->flags & ZS_CERT_INTERNAL))
      continue;
    if (!t->ca_open && site_open_ca(t, log, now, err, errcap) < 0)
      return -EINVAL;
    const char *names[SITE_TLS_MAX_LIST];
    size_t n = blob_list(b, row->name_str, names, SITE_TLS_MAX_LIST);
    if (n > SITE_TLS_MAX_LIST)
      return site_fail(err, errcap, -E2BIG, "a certificate with more than %d names", SITE_TLS_MAX_LIST);
    for (size_t k = 0; k < n; k++) {
      if (site_find_leaf(t, names[k]))
        continue;
      if (t->leaf_count == SITE_TLS_MAX_LEAVES)
        return site_fail(err, errcap, -E2BIG, "more than %d names for the local CA", SITE_TLS_MAX_LEAVES);
      struct site_tls_leaf *l = &t->leaves[t->leaf_count++];
      l->name = names[k];
      l->key_type = (enum tls_key_type)row->key_type;   /* zs_key_type and tls_key_type agree: checked below */
      if (site_issue_leaf(t, l, now, 1, err, errcap) < 0)
        return -EINVAL;
    }
  }
  return 0;
}

/* ---- certificates and policies to contexts ---- */

static struct site_cert *site_add_cert(struct site_certs *out, const struct blob *b, const struct zs_tls_cert *row)
{
  if (out->count == SITE_TLS_MAX_CERTS)
    return NULL;
  struct site_cert *c = &out->certs[out->count++];
  memset(c, 0, sizeof *c);
  c->tag_count = blob_list(b, row->tag_str, c->tags, SITE_TLS_MAX_LIST);
  if (c->tag_count > SITE_TLS_MAX_LIST)
    c->tag_count = SITE_TLS_MAX_LIST;
  return c;
}

/* load_folders: every *.pem bundle (certificate chain and key in one file) */
static int site_add_folder(struct site_certs *out, const struct blob *b, const struct zs_tls_cert *row, char *err,
                           size_t errcap)
{
  const char *dir = blob_string(b, row->chain_str);
  DIR *d = opendir(dir);
  if (!d)
    return site_fail(err, errcap, -errno, "load folder %s: %s", dir, strerror(errno));
  struct dirent *e;
  int r = 0;
  while (r == 0 && (e = readdir(d))) {
    size_t len = strlen(e->d_name);
    if (len < 5 || strcmp(e->d_name + len - 4, ".pem") != 0)
      continue;
    char path[4400];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
      continue;
    /* the context reads the bundle for both the chain and the key */
    struct site_cert *c = site_add_cert(out, b, row);
    char *name = c ? strdup(path) : NULL;
    if (!name)
      r = site_fail(err, errcap, -E2BIG, "load folder %s: more than %d certificates", dir, SITE_TLS_MAX_CERTS);
    else
      c->owned = name, c->src.chain_file = name, c->src.key_file = name;
  }
  closedir(d);
  return r;
}

static void site_free_certs(struct site_certs *cs)
{
  for (size_t i = 0; i < cs->count; i++)
    free(cs->certs[i].owned);
  cs->count = 0;
}

/* an ACME row's names as the certificate manager stored them: the first of
 * their issuers with both files wins; a name without one is left out (its
 * handshakes fail until the manager's notice reloads the contexts) */
static int site_add_acme(struct site_tls *t, struct site_certs *out, const struct zs_tls_cert *row, char *err,
                         size_t errcap)
{
  const struct blob *b = t->blob;
  const char *names[SITE_TLS_MAX_LIST];
  size_t n = blob_list(b, row->name_str, names, SITE_TLS_MAX_LIST);
  for (size_t k = 0; k < n && k < SITE_TLS_MAX_LIST; k++)
    for (unsigned i = row->issuer; i < row->issuer + row->issuer_count && i < b->config->acme_issuer_count; i++) {
      char key[1024], issuer[1024], name[600], crt[8192], pem_key[8192];
      acme_store_issuer_key(blob_string(b, b->acme_issuers[i].ca_str), key, sizeof key);
      acme_store_safe(key, issuer, sizeof issuer);
      acme_store_safe(names[k], name, sizeof name);
      int len = snprintf(crt, sizeof crt, "%s/certificates/%s/%s/%s.crt", t->storage, issuer, name, name);
      snprintf(pem_key, sizeof pem_key, "%.*s.key", len - 4, crt);
      if (access(crt, R_OK) != 0 || access(pem_key, R_OK) != 0)
        continue;
      struct site_cert *c = site_add_cert(out, b, row);
      char *paths = c ? malloc(strlen(crt) + strlen(pem_key) + 2) : NULL;
      if (!paths)
        return site_fail(err, errcap, -E2BIG, "more than %d certificates", SITE_TLS_MAX_CERTS);
      strcpy(paths, crt);
      strcpy(paths + strlen(crt) + 1, pem_key);
      c->owned = paths, c->src.chain_file = paths, c->src.key_file = paths + strlen(crt) + 1;
      break;
    }
  return 0;
}

static int site_collect_certs(struct site_tls *t, struct site_certs *out, char *err, size_t errcap)
{
  const struct blob *b = t->blob;
  for (unsigned i = 0; i < b->config->tls_cert_count; i++) {
    const struct zs_tls_cert *row = &b->tls_certs[i];
    if (row->flags & ZS_CERT_FOLDER) {
      if (site_add_folder(out, b, row, err, errcap) < 0)
        return -EINVAL;
      continue;
    }
    if (row->flags & ZS_CERT_ACME) {
      if (site_add_acme(t, out, row, err, errcap) < 0)
        return -E2BIG;
      continue;
    }
    if (!(row->flags & ZS_CERT_INTERNAL)) {
      struct site_cert *c = site_add_cert(out, b, row);
      if (!c)
        return site_fail(err, errcap, -E2BIG, "more than %d certificates", SITE_TLS_MAX_CERTS);
      c->src.chain_file = blob_string(b, row->chain_str);
      c->src.key_file = blob_string(b, row->key_str);
      continue;
    }
    const char *names[SITE_TLS_MAX_LIST];
    size_t n = blob_list(b, row->name_str, names, SITE_TLS_MAX_LIST);
    for (size_t k = 0; k < n && k < SITE_TLS_MAX_LIST; k++) {
      struct site_tls_leaf *l = site_find_leaf(t, names[k]);
      struct site_cert *c = l ? site_add_cert(out, b, row) : NULL;
      if (!c)
        return site_fail(err, errcap, -E2BIG, "no certificate for %s", names[k]);
      c->src.chain_pem = l->leaf.chain_pem;
      c->src.key_pem = l->leaf.key_pem;
    }
  }
  return 0;
}

static int site_has_tag(const struct site_cert *c, const char *const *tags, size_t n)
{
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < c->tag_count; j++)
      if (strcmp(tags[i], c->tags[j]) == 0)
        return 1;
  return 0;
}

/* the lists one policy row names, kept while its context is built */
struct site_policy_lists {
  const char *sni[SITE_TLS_MAX_LIST], *tags[SITE_TLS_MAX_LIST], *alpn[SITE_TLS_MAX_LIST];
  const char *ciphers[SITE_TLS_MAX_LIST], *curves[SITE_TLS_MAX_LIST];
  const char *trust_files[SITE_TLS_MAX_LIST], *trust_pems[SITE_TLS_MAX_LIST];
  struct tls_cert_source certs[SITE_TLS_MAX_CERTS];
};

static size_t site_list(const struct blob *b, uint32_t field, const char **out)
{
  size_t n = blob_list(b, field, out, SITE_TLS_MAX_LIST);
  return n < SITE_TLS_MAX_LIST ? n : SITE_TLS_MAX_LIST;
}

static const char *site_protocol(unsigned v)
{
  return v == 12 ? "tls1.2" : v == 13 ? "tls1.3" : NULL;
}

/* TLS-ALPN-01: the challenge certificate in storage for sni (tls.h's hook) */
static int site_acme_challenge(void *arg, const char *sni, char *buf, size_t cap)
{
  const struct site_tls *t = arg;
  return tlsalpn_challenge(t->blob, t->storage, sni, buf, cap);
}

static void site_policy(struct site_tls *t, unsigned server, const struct zs_tls_policy *row,
                        const struct site_certs *certs, struct site_policy_lists *l, struct tls_policy_config *out)
{
  const struct blob *b = t->blob;
  memset(out, 0, sizeof *out);
  struct tls_ctx_config *cfg = &out->ctx;
  size_t tag_count = 0;
  if (row) {
    out->sni = l->sni, out->sni_count = site_list(b, row->sni_str, l->sni);
    out->sni_none = (row->flags & ZS_POLICY_SNI_NONE) != 0;
    tag_count = site_list(b, row->tag_str, l->tags);
    const char *def = blob_string(b, row->default_sni_str);
    cfg->default_sni = def[0] ? def : NULL;
    cfg->protocol_min = site_protocol(row->protocol_min);
    cfg->protocol_max = site_protocol(row->protocol_max);
    cfg->alpn = l->alpn, cfg->alpn_count = site_list(b, row->alpn_str, l->alpn);
    cfg->ciphers = l->ciphers, cfg->cipher_count = site_list(b, row->cipher_str, l->ciphers);
    cfg->curves = l->curves, cfg->curve_count = site_list(b, row->curve_str, l->curves);
    cfg->trust.pem_files = l->trust_files;
    cfg->trust.pem_file_count = site_list(b, row->trust_file_str, l->trust_files);
    cfg->trust.pems = l->trust_pems;
    cfg->trust.pem_count = site_list(b, row->trust_pem_str, l->trust_pems);
    cfg->client_auth = (enum tls_client_auth)row->client_auth;
    cfg->client_auth_set = 1;      /* the compiler applied Caddy's default mode */
  }
  for (size_t i = 0; i < certs->count; i++)
    if (tag_count == 0 || site_has_tag(&certs->certs[i], l->tags, tag_count))
      l->certs[cfg->cert_count++] = certs->certs[i].src;
  if (cfg->alpn_count == 0) {
    /* Caddy's default: HTTP/2 first, then HTTP/1.1; only HTTP/1.1 when the server's protocols leave out h2 */
    static const char *const h2_http11[] = {"h2", "http/1.1"};
    int no_h2 = (b->servers[server].flags & ZS_SERVER_NO_H2) != 0;
    cfg->alpn = h2_http11 + no_h2, cfg->alpn_count = 2 - (size_t)no_h2;
  }
  cfg->certs = l->certs;
  cfg->tickets = &t->tickets;
  cfg->acme_challenge = t->acme ? site_acme_challenge : NULL;
  cfg->acme_arg = t;
  cfg->session_context = "zsrt";
}

/* a server's policies in blob order (none: one that takes every client) */
static struct tls_ctx *site_build_server(struct site_tls *t, unsigned server, const struct site_certs *certs,
                                         char *err, size_t errcap)
{
  const struct blob *b = t->blob;
  struct site_policy_lists *lists = calloc(SITE_TLS_MAX_POLICIES, sizeof *lists);
  struct tls_policy_config *pcs = calloc(SITE_TLS_MAX_POLICIES, sizeof *pcs);
  size_t n = 0;
  for (unsigned i = 0; lists && pcs && i < b->config->tls_policy_count && n < SITE_TLS_MAX_POLICIES; i++)
    if (b->tls_policies[i].server == server) {
      site_policy(t, server, &b->tls_policies[i], certs, &lists[n], &pcs[n]);
      n++;
    }
  if (lists && pcs && n == 0)
    site_policy(t, server, NULL, certs, &lists[0], &pcs[n++]);
  struct tls_ctx *ctx = NULL;
  char why[TLS_REASON_MAX + 64] = "out of memory";
  for (size_t i = 0; i < n; i++) {
    pcs[i].ctx.allow_no_cert = t->acme;   /* the manager may not have them yet */
    if (pcs[i].ctx.cert_count == 0 && !t->acme)
      snprintf(why, sizeof why, "connection policy %zu has no certificate", i);
  }
  if (lists && pcs && strcmp(why, "out of memory") == 0)
    ctx = tls_ctx_new_policies(pcs, n, why, sizeof why);
  if (!ctx)
    snprintf(err, errcap, "server %s: %s", blob_string(b, b->servers[server].name_str), why);
  free(lists);
  free(pcs);
  return ctx;
}

/* every TLS server's contexts from the current certificates; on failure
 * nothing is published */
static int site_build(struct site_tls *t, struct tls_ctx **out, char *err, size_t errcap)
{
  struct site_certs *certs = calloc(1, sizeof *certs);
  int r = certs ? site_collect_certs(t, certs, err, errcap) : -ENOMEM;
  for (size_t s = 0; s < t->server_count; s++)
    out[s] = NULL;
  for (size_t s = 0; r == 0 && s < t->server_count; s++) {
    if (!(t->blob->servers[s].flags & ZS_SERVER_TLS))
      continue;
    if (!(out[s] = site_build_server(t, (unsigned)s, certs, err, errcap)))
      r = -EINVAL;
  }
  if (r < 0)
    for (size_t s = 0; s < t->server_count; s++)
      tls_ctx_free(out[s]);
  if (certs)
    site_free_certs(certs);
  free(certs);
  return r;
}

static int site_publish(struct site_tls *t, char *err, size_t errcap)
{
  struct tls_ctx **next = calloc(t->server_count, sizeof *next);
  int r = next ? site_build(t, next, err, errcap) : -ENOMEM;
  for (size_t s = 0; r == 0 && s < t->server_count; s++) {
    struct tls_ctx *old = atomic_exchange_explicit(&t->server_ctx[s], next[s], memory_order_acq_rel);
    if (!old)
      continue;
    /* connections still handshaking on it keep pointers into it: kept, freed oldest first */
    if (t->retired_count == SITE_TLS_MAX_RETIRED) {
      tls_ctx_free(t->retired[0]);
      memmove(t->retired, t->retired + 1, (SITE_TLS_MAX_RETIRED - 1) * sizeof t->retired[0]);
      t->retired_count--;
    }
    t->retired[t->retired_count++] = old;
  }
  free(next);
  return r;
}

int site_tls_open(struct site_tls *t, const struct blob *b, int64_t now, struct worker_log *log, char *err,
                  size_t errcap)
{
  memset(t, 0, sizeof *t);
  t->blob = b;
  int any = 0;
  for (unsigned s = 0; s < b->config->server_count; s++)
    any |= (b->servers[s].flags & ZS_SERVER_TLS) != 0;
  if (!any)
    return 0;
  t->server_count = b->config->server_count;
  t->server_ctx = calloc(t->server_count, sizeof *t->server_ctx);
  if (!t->server_ctx)
    return -ENOMEM;
  storage_root(b, t->storage, sizeof t->storage);
  for (unsigned i = 0; i < b->config->tls_cert_count; i++)
    t->acme |= (b->tls_certs[i].flags & ZS_CERT_ACME) != 0;
  int r = tls_ticket_ring_init(&t->tickets, 0, 0, now);
  if (r == 0)
    r = site_prepare_leaves(t, log, now, err, errcap);
  if (r == 0)
    r = site_publish(t, err, errcap);
  t->next_check = now + SITE_TLS_CHECK_EVERY;
  for (size_t i = 0; i < t->leaf_count; i++)
    if (t->leaves[i].leaf.renew_at < t->next_check)
      t->next_check = t->leaves[i].leaf.renew_at;
  return r < 0 ? r : 1;
}

int site_tls_maintain(struct site_tls *t, int64_t now, struct worker_log *log)
{
  if (!t->server_ctx)
    return 0;
  tls_ticket_ring_tick(&t->tickets, now);
  if (now < t->next_check)
    return 0;
  t->next_check = now + SITE_TLS_CHECK_EVERY;
  char err[512] = "";
  int renewed = 0, r = 0;
  if (t->ca_open && tls_ca_maintain(&t->ca, now, err, sizeof err) < 0)
    r = -EIO;
  for (size_t i = 0; r == 0 && i < t->leaf_count; i++) {
    if (now < t->leaves[i].leaf.renew_at)
      continue;
    if (site_issue_leaf(t, &t->leaves[i], now, 0, err, sizeof err) < 0)
      r = -EIO;
    else
      renewed++;
  }
  if (r == 0 && renewed)
    r = site_publish(t, err, sizeof err);
  for (size_t i = 0; i < t->leaf_count; i++)   /* a short lifetime is renewed on time too */
    if (t->leaves[i].leaf.renew_at > now && t->leaves[i].leaf.renew_at < t->next_check)
      t->next_check = t->leaves[i].leaf.renew_at;
  if (r < 0 || renewed) {
    log_begin(log, r < 0 ? "error" : "info", "tls", r < 0 ? "certificate renewal failed; the current ones stay"
                                                          : "certificates renewed");
    if (r < 0)
      log_cstr(log, "error", err);
    log_int(log, "renewed", renewed);
    log_end(log);
  }
  return r;
}

int site_tls_reload_acme(struct site_tls *t, const char *name, struct worker_log *log)
{
  char err[512] = "";
  int r = t->server_ctx ? site_publish(t, err, sizeof err) : 0;
  log_begin(log, r < 0 ? "error" : "info", "tls", r < 0 ? "could not load the certificates from storage; the current ones stay"
                                                        : "certificates loaded from storage");
  log_cstr(log, "identifier", name);
  if (r < 0)
    log_cstr(log, "error", err);
  log_end(log);
  return r;
}

void site_tls_close(struct site_tls *t)
{
  for (size_t s = 0; t->server_ctx && s < t->server_count; s++)
    tls_ctx_free(atomic_load(&t->server_ctx[s]));
  free(t->server_ctx);
  for (size_t i = 0; i < t->retired_count; i++)
    tls_ctx_free(t->retired[i]);
  for (size_t i = 0; i < t->leaf_count; i++)
    tls_ca_leaf_free(&t->leaves[i].leaf);
  if (t->ca_open)
    tls_ca_close(&t->ca);
  memset(t, 0, sizeof *t);
}
