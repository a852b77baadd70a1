/* The local CA: Caddy's paths, names, lifetimes and key type; a folder is
 * reused, not remade; leaves chain to the root and are renewed at a third
 * of their life left; the intermediate is renewed at a fifth; the trust
 * store install writes the file and runs the command it is given. */
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/x509v3.h>

#include "tls_test.h"

static char *slurp(const char *dir, const char *file)
{
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", dir, file);
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  char *buf = calloc(1, 65536);
  if (fread(buf, 1, 65535, f) == 0)
    buf[0] = '\0';
  fclose(f);
  return buf;
}

static X509 *pem_cert(const char *pem, int index)
{
  BIO *bio = BIO_new_mem_buf(pem, -1);
  X509 *x = NULL;
  for (int i = 0; i <= index; i++) {
    X509_free(x);
    x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
  }
  BIO_free(bio);
  return x;
}

static int64_t asn1_secs(const ASN1_TIME *t)
{
  int d, s;
  ASN1_TIME *epoch = ASN1_TIME_set(NULL, 0);
  ASN1_TIME_diff(&d, &s, epoch, t);
  ASN1_TIME_free(epoch);
  return (int64_t)d * 86400 + s;
}

static int64_t lifetime(X509 *x)
{
  return asn1_secs(X509_get0_notAfter(x)) - asn1_secs(X509_get0_notBefore(x));
}

static int cn_is(X509 *x, const char *want)
{
  char cn[256] = "";
  X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof cn);
  if (strcmp(cn, want) != 0)
    fprintf(stderr, "CN %s, want %s\n", cn, want);
  return strcmp(cn, want) == 0;
}

static int is_p256(X509 *x)
{
  EVP_PKEY *k = X509_get_pubkey(x);
  int ok = k && EVP_PKEY_id(k) == EVP_PKEY_EC && EVP_PKEY_bits(k) == 256;   /* P-256: our only 256-bit curve */
  EVP_PKEY_free(k);
  return ok;
}

/* leaf + intermediate (from the chain PEM) verify against root_pem */
static int chains_to_at(const char *chain_pem, const char *root_pem, const char *host, int64_t at)
{
  X509 *leaf = pem_cert(chain_pem, 0), *inter = pem_cert(chain_pem, 1), *root = pem_cert(root_pem, 0);
  X509_STORE *store = X509_STORE_new();
  X509_STORE_add_cert(store, root);
  STACK_OF(X509) *untrusted = sk_X509_new_null();
  sk_X509_push(untrusted, inter);
  X509_STORE_CTX *sc = X509_STORE_CTX_new();
  X509_STORE_CTX_init(sc, store, leaf, untrusted);
  X509_VERIFY_PARAM_set1_host(X509_STORE_CTX_get0_param(sc), host, strlen(host));
  if (at)
    X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(sc), (time_t)at);
  int ok = X509_verify_cert(sc) == 1;
  if (!ok)
    fprintf(stderr, "verify: %s\n", X509_verify_cert_error_string(X509_STORE_CTX_get_error(sc)));
  X509_STORE_CTX_free(sc);
  sk_X509_free(untrusted);
  X509_STORE_free(store);
  X509_free(leaf);
  X509_free(inter);
  X509_free(root);
  ERR_clear_error();
  return ok;
}

static int chains_to(const char *chain_pem, const char *root_pem, const char *host)
{
  return chains_to_at(chain_pem, root_pem, host, 0);
}

static void test_create(struct test_pki *p, int64_t now)
{
  CHECK(p->ca.created_root && p->ca.created_intermediate);
  char year_cn[128];
  struct tm tm;
  time_t t = (time_t)now;
  gmtime_r(&t, &tm);
  snprintf(year_cn, sizeof year_cn, "Caddy Local Authority - %d ECC Root", tm.tm_year + 1900);
  CHECK(cn_is(p->ca.root, year_cn));
  CHECK(cn_is(p->ca.inter, "Caddy Local Authority - ECC Intermediate"));
  CHECK(lifetime(p->ca.root) == TLS_CA_ROOT_LIFETIME + TLS_CA_BACKDATE);
  CHECK(lifetime(p->ca.inter) == TLS_CA_INTERMEDIATE_LIFETIME + TLS_CA_BACKDATE);
  CHECK(is_p256(p->ca.root) && is_p256(p->ca.inter));
  CHECK(X509_check_ca(p->ca.root) && X509_check_ca(p->ca.inter));
  const char *files[] = {"root.crt", "root.key", "intermediate.crt", "intermediate.key"};
  for (int i = 0; i < 4; i++) {
    char path[1024];
    struct stat st;
    snprintf(path, sizeof path, "%s/pki/authorities/local/%s", p->dir, files[i]);
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
  }
}

static void test_reuse(struct test_pki *p, int64_t now)
{
  char err[256], dir[1100];
  snprintf(dir, sizeof dir, "%s/pki/authorities/local", p->dir);
  char *root = slurp(dir, "root.crt"), *inter = slurp(dir, "intermediate.crt");
  struct tls_ca again;
  struct tls_ca_config cfg = {.storage = p->dir};
  CHECK(tls_ca_open(&again, &cfg, now + 3600, err, sizeof err) == 0);
  CHECK(!again.created_root && !again.created_intermediate);
  CHECK(X509_cmp(again.root, p->ca.root) == 0 && X509_cmp(again.inter, p->ca.inter) == 0);
  char *root2 = slurp(dir, "root.crt"), *inter2 = slurp(dir, "intermediate.crt");
  CHECK(root && root2 && strcmp(root, root2) == 0 && inter && inter2 && strcmp(inter, inter2) == 0);
  tls_ca_close(&again);
  free(root), free(root2), free(inter), free(inter2);
}

static void test_leaf(struct test_pki *p, int64_t now)
{
  char err[256];
  const char *names[] = {"localhost", "127.0.0.1", "::1", "internal.lan"};
  struct tls_ca_leaf leaf;
  CHECK(tls_ca_issue(&p->ca, names, 4, now, &leaf, err, sizeof err) == 0);
  CHECK(chains_to(leaf.chain_pem, p->root_pem, "localhost"));
  CHECK(chains_to(leaf.chain_pem, p->root_pem, "internal.lan"));
  CHECK(!chains_to(leaf.chain_pem, p->root_pem, "other.lan"));
  X509 *x = pem_cert(leaf.chain_pem, 0);
  CHECK(X509_check_ip_asc(x, "127.0.0.1", 0) == 1 && X509_check_ip_asc(x, "::1", 0) == 1);
  CHECK(lifetime(x) == TLS_CA_LEAF_LIFETIME + TLS_CA_BACKDATE);
  CHECK(leaf.not_after == now + TLS_CA_LEAF_LIFETIME);
  CHECK(leaf.renew_at == leaf.not_after - (TLS_CA_LEAF_LIFETIME + TLS_CA_BACKDATE) / 3);
  CHECK(is_p256(x) && !X509_check_ca(x));
  X509_free(x);
  /* the leaf and its key serve: a tls_ctx takes them */
  struct tls_cert_source src = {.chain_pem = leaf.chain_pem, .key_pem = leaf.key_pem};
  struct tls_ctx_config cfg = {.certs = &src, .cert_count = 1};
  struct tls_ctx *ctx = tls_ctx_new(&cfg, err, sizeof err);
  CHECK(ctx != NULL);
  tls_ctx_free(ctx);
  /* stored where certmagic keeps it */
  CHECK(tls_ca_store_leaf(&p->ca, p->dir, "localhost", &leaf, err, sizeof err) == 0);
  char dir[1100];
  snprintf(dir, sizeof dir, "%s/certificates/local/localhost", p->dir);
  char *crt = slurp(dir, "localhost.crt"), *key = slurp(dir, "localhost.key");
  CHECK(crt && strcmp(crt, leaf.chain_pem) == 0 && key && strcmp(key, leaf.key_pem) == 0);
  free(crt), free(key);
  CHECK(tls_ca_store_leaf(&p->ca, p->dir, "../x", &leaf, err, sizeof err) < 0);
  tls_ca_leaf_free(&leaf);
  /* close to the intermediate's end, a leaf stops with it */
  int64_t late = asn1_secs(X509_get0_notAfter(p->ca.inter)) - 3600;
  CHECK(tls_ca_issue(&p->ca, names, 1, late, &leaf, err, sizeof err) == 0);
  CHECK(leaf.not_after == late + 3600);
  tls_ca_leaf_free(&leaf);
}

static void test_intermediate_renewal(struct test_pki *p, int64_t now)
{
  char err[256];
  X509 *old_root = X509_dup(p->ca.root), *old_inter = X509_dup(p->ca.inter);
  CHECK(tls_ca_maintain(&p->ca, now + 5 * 86400, err, sizeof err) == 0);       /* 2 of 7 days left */
  CHECK(tls_ca_maintain(&p->ca, now + 6 * 86400, err, sizeof err) == 1);       /* 1 day left: < 1/5 */
  CHECK(X509_cmp(old_root, p->ca.root) == 0 && X509_cmp(old_inter, p->ca.inter) != 0);
  const char *names[] = {"localhost"};
  struct tls_ca_leaf leaf;
  CHECK(tls_ca_issue(&p->ca, names, 1, now + 6 * 86400, &leaf, err, sizeof err) == 0);
  CHECK(chains_to_at(leaf.chain_pem, p->root_pem, "localhost", now + 6 * 86400 + 60));
  tls_ca_leaf_free(&leaf);
  /* a lost intermediate is made again from the root's key; the root stays */
  char path[1100];
  snprintf(path, sizeof path, "%s/pki/authorities/local/intermediate.crt", p->dir);
  CHECK(unlink(path) == 0);
  struct tls_ca again;
  struct tls_ca_config cfg = {.storage = p->dir};
  CHECK(tls_ca_open(&again, &cfg, now, err, sizeof err) == 0);
  CHECK(!again.created_root && again.created_intermediate && X509_cmp(old_root, again.root) == 0);
  tls_ca_close(&again);
  X509_free(old_root);
  X509_free(old_inter);
}

static void test_trust(struct test_pki *p)
{
  char err[256], cmd[512], dest[700], marker[800], cn[256];
  snprintf(dest, sizeof dest, "%s/trust", p->dir);
  snprintf(marker, sizeof marker, "%s/ran", p->dir);
  CHECK(mkdir(dest, 0700) == 0);
  char script[900];
  snprintf(script, sizeof script, "echo refreshed > '%s'", marker);
  const char *argv[] = {"/bin/sh", "-c", script, NULL};
  struct tls_trust_target dry = {.dest_dir = dest, .dry_run = 1};
  CHECK(tls_ca_install_trust(&p->ca, &dry, cmd, sizeof cmd, err, sizeof err) == 0);
  CHECK(strcmp(cmd, "update-ca-certificates") == 0 && access(marker, F_OK) < 0);
  struct tls_trust_target t = {.dest_dir = dest, .command = argv};
  CHECK(tls_ca_install_trust(&p->ca, &t, cmd, sizeof cmd, err, sizeof err) == 0);
  CHECK(access(marker, F_OK) == 0);
  /* the file: the root, named "<CN>_<serial>.crt" with underscores */
  CHECK(tls_ca_root_common_name(&p->ca, cn, sizeof cn) == 0);
  char ls[1200], out[4096];
  snprintf(ls, sizeof ls, "ls '%s'", dest);
  FILE *f = popen(ls, "r");
  size_t n = f ? fread(out, 1, sizeof out - 1, f) : 0;
  out[n] = '\0';
  if (f)
    pclose(f);
  CHECK(strncmp(out, "Caddy_Local_Authority_-_", 24) == 0 && strstr(out, "_ECC_Root_") && strstr(out, ".crt\n"));
  out[strcspn(out, "\n")] = '\0';
  char *pem = slurp(dest, out);
  CHECK(pem && strcmp(pem, p->root_pem) == 0);
  free(pem);
  unlink(marker);
  CHECK(tls_ca_uninstall_trust(&p->ca, &t, cmd, sizeof cmd, err, sizeof err) == 0);
  char gone[1800];
  snprintf(gone, sizeof gone, "%s/%s", dest, out);
  CHECK(access(gone, F_OK) < 0 && access(marker, F_OK) == 0);
  const char *fails[] = {"/bin/false", NULL};
  struct tls_trust_target bad = {.dest_dir = dest, .command = fails};
  CHECK(tls_ca_install_trust(&p->ca, &bad, cmd, sizeof cmd, err, sizeof err) == -EIO);
}

int main(void)
{
  struct test_pki p;
  int64_t now = time(NULL);
  if (test_pki_open(&p, "tls-ca") < 0)
    return 1;
  test_create(&p, now);
  test_reuse(&p, now);
  test_leaf(&p, now);
  test_intermediate_renewal(&p, now);
  test_trust(&p);
  test_pki_close(&p);
  printf("%s\n", check_failures ? "FAIL" : "ok");
  return check_failures ? 1 : 0;
}
