/* Blob signing (sign.h) with EVP_DigestSign / EVP_DigestVerify over Ed25519
 * keys in PEM (`openssl genpkey -algorithm ed25519`, `openssl pkey -pubout`). */
#include "sign.h"

#include <errno.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <string.h>

#include "base/arena.h"
#include "base/file.h"

#define SIGN_LEN 64

static EVP_PKEY *sign_read_key(const char *pem, int private_key, char *err, size_t err_len)
{
  FILE *f = fopen(pem, "r");
  if (!f) {
    snprintf(err, err_len, "%s: %s", pem, strerror(errno));
    return NULL;
  }
  EVP_PKEY *k = private_key ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : PEM_read_PUBKEY(f, NULL, NULL, NULL);
  fclose(f);
  if (!k || EVP_PKEY_id(k) != EVP_PKEY_ED25519) {
    EVP_PKEY_free(k);
    snprintf(err, err_len, "%s: not a PEM Ed25519 %s key", pem, private_key ? "private" : "public");
    return NULL;
  }
  return k;
}

static int sign_bytes(EVP_PKEY *k, const uint8_t *data, size_t size, unsigned char sig[SIGN_LEN])
{
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  size_t len = SIGN_LEN;
  int ok = ctx && EVP_DigestSignInit(ctx, NULL, NULL, NULL, k) == 1 &&
           EVP_DigestSign(ctx, sig, &len, data, size) == 1 && len == SIGN_LEN;
  EVP_MD_CTX_free(ctx);
  return ok ? 0 : -1;
}

int sign_verify_file(const char *path, const uint8_t *data, size_t size, const char *pub_pem,
                     char *err, size_t err_len)
{
  EVP_PKEY *k = sign_read_key(pub_pem, 0, err, err_len);
  if (!k)
    return -1;
  struct arena a = { 0 };
  char sig_path[4096], *sig;
  size_t sig_len;
  snprintf(sig_path, sizeof sig_path, "%s.sig", path);
  int ok = 0;
  if (file_read_all(&a, sig_path, &sig, &sig_len) < 0 || sig_len != SIGN_LEN) {
    snprintf(err, err_len, "unsigned blob (no %d-byte %s)", SIGN_LEN, sig_path);
  } else {
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    ok = ctx && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, k) == 1 &&
         EVP_DigestVerify(ctx, (const unsigned char *)sig, SIGN_LEN, data, size) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok)
      snprintf(err, err_len, "signature does not verify with %s", pub_pem);
  }
  arena_reset(&a);
  EVP_PKEY_free(k);
  return ok ? 0 : -1;
}

int sign_parse_args(int argc, char **argv, const char **key, const char **path)
{
  *key = *path = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--key") == 0 && i + 1 < argc)
      *key = argv[++i];
    else if (argv[i][0] != '-' && !*path)
      *path = argv[i];
    else
      return -1;
  }
  return 0;
}

int sign_main(int argc, char **argv)
{
  const char *key, *path;
  if (sign_parse_args(argc, argv, &key, &path) < 0 || !key || !path) {
    fprintf(stderr, "usage: zsc sign --key KEY.pem SITE.zsb\n");
    return 2;
  }
  char err[512];
  EVP_PKEY *k = sign_read_key(key, 1, err, sizeof err);
  if (!k) {
    fprintf(stderr, "zsc sign: %s\n", err);
    return 1;
  }
  struct arena a = { 0 };
  char *data, sig_path[4096];
  size_t size;
  unsigned char sig[SIGN_LEN];
  const char *why = NULL;
  int rc = 1;
  snprintf(sig_path, sizeof sig_path, "%s.sig", path);
  if (file_read_all(&a, path, &data, &size) < 0)
    fprintf(stderr, "zsc sign: cannot read %s\n", path);
  else if (sign_bytes(k, (const uint8_t *)data, size, sig) < 0)
    fprintf(stderr, "zsc sign: signing failed\n");
  else if (file_save_output(sig_path, sig, sizeof sig, &why) < 0)
    fprintf(stderr, "zsc sign: cannot write %s: %s\n", sig_path, why ? why : "error");
  else
    rc = 0;
  arena_reset(&a);
  EVP_PKEY_free(k);
  return rc;
}
