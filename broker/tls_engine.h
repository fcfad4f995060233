/*
 * tls_engine.h - our TLS engine for nng, over mbedtls. It does what nng's
 * built-in mbedtls engine does and, in addition, remembers the subject
 * Common Name of a verified client certificate, which nng 1.5.2 cannot
 * report (it has no NNG_OPT_TLS_PEER_CN). docs/security.md: with mutual
 * TLS that name is the connection's principal.
 */
#ifndef SL_TLS_ENGINE_H
#define SL_TLS_ENGINE_H

#include <stddef.h>

#include <nng/nng.h>

/*
 * tls_engine_register makes our engine nng's TLS engine for every TLS
 * configuration allocated afterwards (those allocated before keep theirs).
 * Call it after nng's first use (nng's lazy init registers its built-in
 * engine, replacing ours) and before the broker's nng_tls_config_alloc.
 * May be called again (it then only registers again). Any thread, though
 * the broker calls it from main at start. Returns 0 or an nng error
 * (NNG_ECRYPTO: the random generator could not be seeded).
 */
int tls_engine_register(void);

/*
 * tls_peer_principal writes the subject CN of p's verified client
 * certificate (NUL-terminated) into buf of n bytes. Returns 0, or -1 when
 * p is not a TLS pipe of our engine, its peer presented no certificate,
 * the certificate was not verified, or its CN is missing, repeated,
 * longer than n - 1 bytes or holds control characters. buf is written only
 * on success. Any thread.
 */
int tls_peer_principal(nng_pipe p, char *buf, size_t n);

/*
 * tls_crl_stale says whether a PEM CRL's next-update date has passed:
 * mbedtls then fails every certificate of its CA, so a broker must not
 * start with one. Returns 1 (stale), 0 (current) or -1 (not a PEM CRL).
 */
int tls_crl_stale(const char *pem);
#endif
