/* zsc hash-password: `caddy hash-password` for basic_auth's accounts, bcrypt
 * through libcrypt. */
#ifndef ZSC_HASH_PASSWORD_H
#define ZSC_HASH_PASSWORD_H

/* argv[0] is "hash-password"; exit status: 0 printed, 1 failed, 2 usage */
int hash_password_main(int argc, char **argv);

#endif
