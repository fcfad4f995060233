/*
 * tls.h - TLS for the broker's listeners (tls+tcp:// for clients, https://
 * for metrics): builds nng's server TLS configuration from the tls
 * settings (--tls-cert, --tls-key, --tls-client-ca). docs/security.md
 * says how to make the files.
 */
#ifndef SL_TLS_H
#define SL_TLS_H

#include <nng/nng.h>
#include <nng/supplemental/tls/tls.h>

#include "config.h"
#include "tls_engine.h" /* loop.c registers the engine with the listener */

/* 1 when url asks for TLS: tls+tcp://, tls+tcp4://, tls+tcp6://, https://. */
int tls_url_is_tls(const char *url);

/*
 * tls_server_config builds a server-mode configuration: c->tls_cert and
 * c->tls_key as our identity and, with c->tls_client_ca, mutual TLS
 * (clients must present a certificate that CA signed). The caller owns
 * *out (nng_tls_config_free). Returns 0, or -1 after printing why to
 * stderr (a file that cannot be read, a certificate or key nng refuses).
 */
int tls_server_config(const broker_config *c, nng_tls_config **out);

/*
 * tls_listener_create creates (does not start) the listener of sock for
 * c->listen_url and, when that is a TLS address, gives it the server
 * configuration. Returns 0 or an nng error (a TLS failure is printed
 * here first).
 */
int tls_listener_create(nng_listener *l, nng_socket sock, const broker_config *c);
#endif
