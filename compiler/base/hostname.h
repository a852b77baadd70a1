/* certmagic's rules for the names automatic HTTPS sees in host matchers:
 * which qualify for a certificate at all, which are internal (the local CA
 * issues for them), which a public CA would issue for. Used by the adapter
 * (automation policies) and by lowering (which issuer a name gets). */
#ifndef ZSC_HOSTNAME_H
#define ZSC_HOSTNAME_H

#include <stdbool.h>

/* certmagic.SubjectIsIP */
bool hostname_is_ip(const char *s);
/* certmagic.SubjectIsInternal: localhost, *.localhost, *.local, *.internal,
 * *.home.arpa, loopback and private IP addresses */
bool hostname_is_internal(const char *s);
/* certmagic.SubjectQualifiesForCert */
bool hostname_qualifies_for_cert(const char *s);
/* certmagic.SubjectQualifiesForPublicCert */
bool hostname_qualifies_for_public_cert(const char *s);

#endif
