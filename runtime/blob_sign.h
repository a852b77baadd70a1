/* Ed25519 signatures of blobs, for operators who want tampering (not only
 * corruption) refused: `zsc sign --key KEY.pem SITE.zsb` writes SITE.zsb.sig
 * (the 64 raw signature bytes over every byte of SITE.zsb), and
 * `zsrt --verify-key PUB.pem` serves only blobs whose .sig verifies, at start
 * and at every reload. libcrypto (OpenSSL 3 or BoringSSL: the same calls). */
#ifndef ZSRT_BLOB_SIGN_H
#define ZSRT_BLOB_SIGN_H

#include <stddef.h>

struct blob;
struct blob_sign_key;

#define BLOB_SIGN_SUFFIX ".sig"
#define BLOB_SIGN_LEN 64

/* a PEM Ed25519 public key (`openssl pkey -pubout`); NULL with err set */
struct blob_sign_key *blob_sign_key_load(const char *pem_path, char *err, size_t err_len);
void blob_sign_key_free(struct blob_sign_key *k);

/* 0 when path.sig is a valid signature of the blob's bytes (b, as loaded:
 * the bytes that are served), else -1 with the reason in err */
int blob_sign_verify(const struct blob_sign_key *k, const char *path, const struct blob *b,
                     char *err, size_t err_len);

#endif
