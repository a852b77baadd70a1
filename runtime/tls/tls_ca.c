/* The local CA: loads or creates Caddy's root and intermediate under
 * <storage>/pki/authorities/<id>/ and issues leaves from the intermediate.
 * Certificates follow smallstep's templates that Caddy uses: root CA with
 * path length 1, intermediate with 0, leaves for serverAuth and clientAuth. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "tls_ca.h"
#include "tls_lib.h"

static int ca_fail(char *err, size_t cap, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, cap, fmt, ap);
  va_end(ap);
  unsigned long e = ERR_peek_last_error();
  size_t n = strlen(err);
  if (e && n + 3 < cap) {
    snprintf(err + n, cap - n, ": ");
    ERR_error_string_n(e, err + n + 2, cap - n - 2);
  }
  ERR_clear_error();
  return -EINVAL;
}

/* ---- files ---- */

static int ca_mkdirs(const char *path)
{
  char buf[4096];
  snprintf(buf, sizeof buf, "%s", path);
  for (char *p = buf + 1; *p; p++) {
    if (*p == '/') {
      *p = '\0';
      if (mkdir(buf, 0700) < 0 && errno != EEXIST)
        return -errno;
      *p = '/';
    }
  }
  return mkdir(buf, 0700) < 0 && errno != EEXIST ? -errno : 0;
}

/* certmagic's file storage: files 0600, written whole then renamed */
static int ca_write_file(const char *path, const char *data, size_t len)
{
  char tmp[4200];
  snprintf(tmp, sizeof tmp, "%s.tmp%d", path, (int)getpid());
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return -errno;
  ssize_t n = write(fd, data, len);
  int r = n == (ssize_t)len && fsync(fd) == 0 ? 0 : -EIO;
  close(fd);
  if (r == 0 && rename(tmp, path) < 0)
    r = -errno;
  if (r < 0)
    unlink(tmp);
  return r;
}

static char *ca_bio_string(BIO *bio)
{
  char *p = NULL, *s = NULL;
  long n = bio ? BIO_get_mem_data(bio, &p) : -1;
  if (n >= 0 && p && (s = malloc((size_t)n + 1))) {
    memcpy(s, p, (size_t)n);
    s[n] = '\0';
  }
  BIO_free(bio);
  return s;
}

static char *ca_cert_pem(X509 *x)
{
  BIO *bio = BIO_new(BIO_s_mem());
  return bio && PEM_write_bio_X509(bio, x) ? ca_bio_string(bio) : (BIO_free(bio), NULL);
}

static char *ca_key_pem(EVP_PKEY *k)
{
  BIO *bio = BIO_new(BIO_s_mem());
  return bio && PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL, NULL) ? ca_bio_string(bio) : (BIO_free(bio), NULL);
}

static int ca_store(const struct tls_ca *ca, const char *file, char *pem)
{
  char path[4200];
  snprintf(path, sizeof path, "%s/%s", ca->dir, file);
  int r = pem ? ca_write_file(path, pem, strlen(pem)) : -ENOMEM;
  free(pem);
  return r;
}

/* 0 loaded, -ENOENT absent, other -errno */
static int ca_load(const struct tls_ca *ca, const char *file, X509 **cert, EVP_PKEY **key)
{
  char path[4200];
  snprintf(path, sizeof path, "%s/%s", ca->dir, file);
  BIO *bio = BIO_new_file(path, "r");
  if (!bio) {
    ERR_clear_error();
    return access(path, F_OK) == 0 ? -EACCES : -ENOENT;
  }
  if (cert)
    *cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
  if (key)
    *key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
  BIO_free(bio);
  return (cert && !*cert) || (key && !*key) ? -EINVAL : 0;
}

/* ---- certificates ---- */

static EVP_PKEY *ca_new_p256_key(void)
{
  EVP_PKEY *key = NULL;
  EVP_PKEY_CTX *kc = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, NULL);
  if (kc && EVP_PKEY_keygen_init(kc) == 1 && EVP_PKEY_CTX_set_ec_paramgen_curve_nid(kc, NID_X9_62_prime256v1) == 1)
    EVP_PKEY_keygen(kc, &key);
  EVP_PKEY_CTX_free(kc);
  return key;
}

static int ca_add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
  X509V3_CTX v3;
  X509V3_set_ctx(&v3, issuer ? issuer : x, x, NULL, NULL, 0);
  X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, &v3, nid, value);
  int ok = ext && X509_add_ext(x, ext, -1);
  X509_EXTENSION_free(ext);
  return ok;
}

/* a random positive 128-bit serial, as smallstep */
static int ca_set_serial(X509 *x)
{
  BIGNUM *bn = BN_new();
  int ok = bn && BN_rand(bn, 127, -1, 0) && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
  BN_free(bn);
  return ok;
}

static int ca_set_validity(X509 *x, int64_t from, int64_t to)
{
  return ASN1_TIME_set(X509_getm_notBefore(x), (time_t)from) && ASN1_TIME_set(X509_getm_notAfter(x), (time_t)to);
}

/* subject CN (may be NULL: leaves carry names only in their SANs) */
static int ca_set_subject(X509 *x, const char *cn)
{
  X509_NAME *name = X509_get_subject_name(x);
  return !cn || X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const uint8_t *)cn, -1, -1, 0);
}

/* A certificate for `key`, signed by issuer_key (issuer NULL: self-signed). */
static X509 *ca_make_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key, int64_t from, int64_t to,
                          const char *const *exts, const int *nids)
{
  X509 *x = X509_new();
  int ok = x && X509_set_version(x, 2) && ca_set_serial(x) && ca_set_validity(x, from, to) && ca_set_subject(x, cn) &&
           X509_set_issuer_name(x, X509_get_subject_name(issuer ? issuer : x)) && X509_set_pubkey(x, key);
  for (size_t i = 0; ok && exts[i]; i++)
    ok = ca_add_ext(x, issuer, nids[i], exts[i]);
  ok = ok && X509_sign(x, issuer_key, EVP_sha256());
  if (!ok) {
    X509_free(x);
    return NULL;
  }
  return x;
}

static int64_t ca_time(const ASN1_TIME *t)
{
  int days = 0, secs = 0;
  ASN1_TIME *epoch = ASN1_TIME_set(NULL, 0);
  int ok = epoch && ASN1_TIME_diff(&days, &secs, epoch, t);
  ASN1_TIME_free(epoch);
  return ok ? (int64_t)days * 86400 + secs : 0;
}

static int ca_gen_root(struct tls_ca *ca, int64_t now, char *err, size_t errcap)
{
  static const char *const exts[] = {"critical,CA:TRUE,pathlen:1", "critical,keyCertSign,cRLSign", "hash", NULL};
  static const int nids[] = {NID_basic_constraints, NID_key_usage, NID_subject_key_identifier};
  char cn[256];
  struct tm tm;
  time_t t = (time_t)now;
  gmtime_r(&t, &tm);
  snprintf(cn, sizeof cn, "%s - %d ECC Root", ca->name, tm.tm_year + 1900);
  EVP_PKEY *key = ca_new_p256_key();
  X509 *root = key ? ca_make_cert(cn, key, NULL, key, now - TLS_CA_BACKDATE, now + TLS_CA_ROOT_LIFETIME, exts, nids) : NULL;
  if (!root) {
    EVP_PKEY_free(key);
    return ca_fail(err, errcap, "generating the root");
  }
  ca->root = root, ca->root_key = key, ca->created_root = 1;
  if (ca_store(ca, "root.crt", ca_cert_pem(root)) < 0 || ca_store(ca, "root.key", ca_key_pem(key)) < 0)
    return ca_fail(err, errcap, "%s: storing the root", ca->dir);
  return 0;
}

static int ca_gen_intermediate(struct tls_ca *ca, int64_t now, char *err, size_t errcap)
{
  static const char *const exts[] = {"critical,CA:TRUE,pathlen:0", "critical,keyCertSign,cRLSign", "hash",
                                     "keyid:always", NULL};
  static const int nids[] = {NID_basic_constraints, NID_key_usage, NID_subject_key_identifier,
                             NID_authority_key_identifier};
  if (!ca->root_key && ca_load(ca, "root.key", NULL, (EVP_PKEY **)&ca->root_key) < 0)
    return ca_fail(err, errcap, "%s/root.key: needed to sign a new intermediate", ca->dir);
  char cn[256];
  snprintf(cn, sizeof cn, "%s - ECC Intermediate", ca->name);
  EVP_PKEY *key = ca_new_p256_key();
  X509 *inter = key ? ca_make_cert(cn, key, ca->root, ca->root_key, now - TLS_CA_BACKDATE,
                                   now + ca->intermediate_lifetime, exts, nids) : NULL;
  if (!inter) {
    EVP_PKEY_free(key);
    return ca_fail(err, errcap, "generating the intermediate");
  }
  X509_free(ca->inter);
  EVP_PKEY_free(ca->inter_key);
  ca->inter = inter, ca->inter_key = key, ca->created_intermediate = 1;
  if (ca_store(ca, "intermediate.crt", ca_cert_pem(inter)) < 0 || ca_store(ca, "intermediate.key", ca_key_pem(key)) < 0)
    return ca_fail(err, errcap, "%s: storing the intermediate", ca->dir);
  return 0;
}

int tls_ca_open(struct tls_ca *ca, const struct tls_ca_config *cfg, int64_t now, char *err, size_t errcap)
{
  memset(ca, 0, sizeof *ca);
  snprintf(ca->dir, sizeof ca->dir, "%s/pki/authorities/%s", cfg->storage, cfg->id ? cfg->id : "local");
  snprintf(ca->name, sizeof ca->name, "%s", cfg->name ? cfg->name : TLS_CA_NAME_DEFAULT);
  ca->intermediate_lifetime = cfg->intermediate_lifetime ? cfg->intermediate_lifetime : TLS_CA_INTERMEDIATE_LIFETIME;
  ca->leaf_lifetime = cfg->leaf_lifetime ? cfg->leaf_lifetime : TLS_CA_LEAF_LIFETIME;
  int r = ca_mkdirs(ca->dir);
  if (r < 0)
    return ca_fail(err, errcap, "%s: %s", ca->dir, strerror(-r)), r;
  /* as caddypki: the root's key is read only to sign a new intermediate */
  r = ca_load(ca, "root.crt", (X509 **)&ca->root, NULL);
  if (r == -ENOENT)
    r = ca_gen_root(ca, now, err, errcap);
  else if (r < 0)
    return ca_fail(err, errcap, "%s/root.crt: unreadable", ca->dir), r;
  if (r < 0)
    return r;
  r = ca_load(ca, "intermediate.crt", (X509 **)&ca->inter, NULL);
  if (r == 0)
    r = ca_load(ca, "intermediate.key", NULL, (EVP_PKEY **)&ca->inter_key);
  if (r == -ENOENT)
    return ca_gen_intermediate(ca, now, err, errcap);
  if (r < 0)
    return ca_fail(err, errcap, "%s: intermediate unreadable", ca->dir), r;
  return tls_ca_maintain(ca, now, err, errcap) < 0 ? -EINVAL : 0;
}

void tls_ca_close(struct tls_ca *ca)
{
  X509_free(ca->root);
  X509_free(ca->inter);
  EVP_PKEY_free(ca->root_key);
  EVP_PKEY_free(ca->inter_key);
  ca->root = ca->inter = ca->root_key = ca->inter_key = NULL;
}

int tls_ca_maintain(struct tls_ca *ca, int64_t now, char *err, size_t errcap)
{
  int64_t from = ca_time(X509_get0_notBefore(ca->inter)), to = ca_time(X509_get0_notAfter(ca->inter));
  if (now < to - (to - from) / 5)
    return 0;
  int r = ca_gen_intermediate(ca, now, err, errcap);
  return r < 0 ? r : 1;
}

int64_t tls_ca_renew_at(int64_t not_before, int64_t not_after)
{
  return not_after - (not_after - not_before) / 3;
}

/* "DNS:a,IP:127.0.0.1,..." for the SAN extension */
static int ca_san_list(const char *const *names, size_t count, char *out, size_t cap)
{
  size_t n = 0;
  for (size_t i = 0; i < count; i++) {
    uint8_t ip[16];
    int is_ip = inet_pton(AF_INET, names[i], ip) == 1 || inet_pton(AF_INET6, names[i], ip) == 1;
    if (strpbrk(names[i], ",\n"))
      return -EINVAL;
    n += (size_t)snprintf(out + n, n < cap ? cap - n : 0, "%s%s:%s", i ? "," : "", is_ip ? "IP" : "DNS", names[i]);
  }
  return count && n < cap ? 0 : -EINVAL;
}

int tls_ca_issue(struct tls_ca *ca, const char *const *names, size_t count, int64_t now, struct tls_ca_leaf *leaf,
                 char *err, size_t errcap)
{
  static const int nids[] = {NID_key_usage, NID_ext_key_usage, NID_subject_key_identifier,
                             NID_authority_key_identifier, NID_subject_alt_name};
  char san[8192];
  memset(leaf, 0, sizeof *leaf);
  if (ca_san_list(names, count, san, sizeof san) < 0)
    return ca_fail(err, errcap, "bad or too many names for a leaf");
  const char *const exts[] = {"critical,digitalSignature", "serverAuth,clientAuth", "hash", "keyid:always", san, NULL};
  int64_t to = now + ca->leaf_lifetime, inter_to = ca_time(X509_get0_notAfter(ca->inter));
  if (to > inter_to)
    to = inter_to;                         /* never outlive the issuer */
  EVP_PKEY *key = ca_new_p256_key();
  X509 *x = key ? ca_make_cert(NULL, key, ca->inter, ca->inter_key, now - TLS_CA_BACKDATE, to, exts, nids) : NULL;
  char *cert_pem = x ? ca_cert_pem(x) : NULL, *inter_pem = cert_pem ? ca_cert_pem(ca->inter) : NULL;
  leaf->key_pem = inter_pem ? ca_key_pem(key) : NULL;
  if (leaf->key_pem && (leaf->chain_pem = malloc(strlen(cert_pem) + strlen(inter_pem) + 1)))
    strcat(strcpy(leaf->chain_pem, cert_pem), inter_pem);
  leaf->not_before = now - TLS_CA_BACKDATE, leaf->not_after = to;
  leaf->renew_at = tls_ca_renew_at(leaf->not_before, to);
  X509_free(x);
  EVP_PKEY_free(key);
  free(cert_pem);
  free(inter_pem);
  if (!leaf->chain_pem) {
    tls_ca_leaf_free(leaf);
    return ca_fail(err, errcap, "issuing a leaf");
  }
  return 0;
}

void tls_ca_leaf_free(struct tls_ca_leaf *leaf)
{
  free(leaf->chain_pem);
  free(leaf->key_pem);
  leaf->chain_pem = leaf->key_pem = NULL;
}

/* certmagic's storage key for a name: lowercase, "*" as "wildcard_" */
static int ca_leaf_dir(const struct tls_ca *ca, const char *storage, const char *name, char *dir, size_t cap,
                       char *safe, size_t safe_cap)
{
  if (strchr(name, '/') || name[0] == '.' || !name[0])
    return -EINVAL;
  size_t n = 0;
  for (const char *p = name; *p && n + 10 < safe_cap; p++) {
    if (*p == '*')
      n += (size_t)snprintf(safe + n, safe_cap - n, "wildcard_");
    else
      safe[n++] = (char)tolower((unsigned char)*p);
  }
  safe[n] = '\0';
  const char *id = strrchr(ca->dir, '/') + 1;
  int len = snprintf(dir, cap, "%s/certificates/%s/%s", storage, id, safe);
  return len > 0 && (size_t)len < cap ? 0 : -ENAMETOOLONG;
}

static char *ca_read_text(const char *path)
{
  BIO *bio = BIO_new_file(path, "r");
  if (!bio) {
    ERR_clear_error();
    return NULL;
  }
  BIO *mem = BIO_new(BIO_s_mem());
  char buf[4096];
  int n;
  while (mem && (n = BIO_read(bio, buf, sizeof buf)) > 0)
    BIO_write(mem, buf, n);
  BIO_free(bio);
  return mem ? ca_bio_string(mem) : NULL;
}

int tls_ca_load_leaf(const struct tls_ca *ca, const char *storage, const char *name, int64_t now,
                     struct tls_ca_leaf *leaf)
{
  char dir[4200], safe[600], path[4816];
  memset(leaf, 0, sizeof *leaf);
  if (ca_leaf_dir(ca, storage, name, dir, sizeof dir, safe, sizeof safe) < 0)
    return -EINVAL;
  snprintf(path, sizeof path, "%s/%s.crt", dir, safe);
  leaf->chain_pem = ca_read_text(path);
  snprintf(path, sizeof path, "%s/%s.key", dir, safe);
  leaf->key_pem = leaf->chain_pem ? ca_read_text(path) : NULL;
  BIO *bio = leaf->key_pem ? BIO_new_mem_buf(leaf->chain_pem, -1) : NULL;
  X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
  BIO_free(bio);
  /* only a leaf of this authority's intermediate: another CA's would not chain to the root we trust */
  EVP_PKEY *issuer = x ? X509_get_pubkey(ca->inter) : NULL;
  int ours = issuer && X509_verify(x, issuer) == 1;
  EVP_PKEY_free(issuer);
  if (x) {
    leaf->not_before = ca_time(X509_get0_notBefore(x));
    leaf->not_after = ca_time(X509_get0_notAfter(x));
    leaf->renew_at = tls_ca_renew_at(leaf->not_before, leaf->not_after);
  }
  X509_free(x);
  ERR_clear_error();
  int r = !leaf->key_pem ? -ENOENT : !ours ? -EINVAL : now >= leaf->renew_at ? -ESTALE : 0;
  if (r < 0)
    tls_ca_leaf_free(leaf);
  return r;
}

int tls_ca_store_leaf(const struct tls_ca *ca, const char *storage, const char *name, const struct tls_ca_leaf *leaf,
                      char *err, size_t errcap)
{
  char dir[4200], safe[600], path[4816];
  if (ca_leaf_dir(ca, storage, name, dir, sizeof dir, safe, sizeof safe) < 0)
    return ca_fail(err, errcap, "bad certificate name %s", name);
  int r = ca_mkdirs(dir);
  if (r == 0) {
    snprintf(path, sizeof path, "%s/%s.crt", dir, safe);
    r = ca_write_file(path, leaf->chain_pem, strlen(leaf->chain_pem));
  }
  if (r == 0) {
    snprintf(path, sizeof path, "%s/%s.key", dir, safe);
    r = ca_write_file(path, leaf->key_pem, strlen(leaf->key_pem));
  }
  return r < 0 ? ca_fail(err, errcap, "%s: %s", dir, strerror(-r)) : 0;
}

char *tls_ca_root_pem(const struct tls_ca *ca)
{
  return ca_cert_pem(ca->root);
}

int tls_ca_root_common_name(const struct tls_ca *ca, char *out, size_t cap)
{
  int n = X509_NAME_get_text_by_NID(X509_get_subject_name(ca->root), NID_commonName, out, (int)cap);
  return n < 0 ? -ENOENT : 0;
}
