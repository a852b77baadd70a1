/* zsc sign --key KEY.pem SITE.zsb: a detached Ed25519 signature of the whole
 * blob in SITE.zsb.sig (64 raw bytes), which `zsrt --verify-key PUB.pem`
 * and `zsc verify --key PUB.pem` check. libcrypto (OpenSSL 3). */
#ifndef ZSC_SIGN_H
#define ZSC_SIGN_H

#include <stddef.h>
#include <stdint.h>

/* argv[0] is "sign"; exit status: 0 signed, 1 failed, 2 usage */
int sign_main(int argc, char **argv);

/* the words of `zsc sign` and `zsc verify` after argv[0]: "--key K" and one
 * file, in any order; 0, or -1 on any other word (key or path may stay NULL) */
int sign_parse_args(int argc, char **argv, const char **key, const char **path);

/* 0 when path.sig is pub_pem's signature of data, else -1 with err set */
int sign_verify_file(const char *path, const uint8_t *data, size_t size, const char *pub_pem,
                     char *err, size_t err_len);

#endif
