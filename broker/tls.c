/*
 * tls.c - the broker's side of TLS: reads the PEM files named by the tls
 * settings and turns them into nng's server configuration for the client
 * listener (loop.c) and the metrics server (http.c). It does not decide
 * which settings are required: config_check_tls does, at start.
 */
#include "tls.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"

/* PEM files are small; anything larger is surely the wrong file. */
#define PEM_MAX_BYTES (1u << 20)

int
tls_url_is_tls(const char *url)
{
	return url != NULL && (strncmp(url, "tls+", 4) == 0 ||
	    strncmp(url, "https://", 8) == 0);
}

/* The whole file, NUL-terminated (nng takes PEM as a C string), or NULL
 * after printing why. what names the setting in the message. */
static char *
read_pem(const char *path, const char *what)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0;
	if (f == NULL) {
		fprintf(stderr, "sluiced: %s %s: cannot open: %s\n", what, path,
		    strerror(errno));
		return NULL;
	}
	if ((buf = sl_alloc(PEM_MAX_BYTES + 1)) == NULL) {
		fprintf(stderr, "sluiced: out of memory\n");
		fclose(f);
		return NULL;
	}
	n = fread(buf, 1, PEM_MAX_BYTES + 1, f);
	if (ferror(f) || n > PEM_MAX_BYTES || n == 0) {
		fprintf(stderr, "sluiced: %s %s: %s\n", what, path, ferror(f)
		        ? strerror(errno) : n == 0 ? "the file is empty"
		                                   : "larger than 1 MiB: not a PEM file");
		sl_free(buf);
		fclose(f);
		return NULL;
	}
	buf[n] = '\0';
	fclose(f);
	return buf;
}

int
tls_server_config(const broker_config *c, nng_tls_config **out)
{
	nng_tls_config *cfg = NULL;
	char *cert = read_pem(c->tls_cert, "--tls-cert");
	char *key = cert != NULL ? read_pem(c->tls_key, "--tls-key") : NULL;
	char *ca = NULL, *crl = NULL;
	int rv = -1, nrv;

	if (cert == NULL || key == NULL)
		goto out;
	if ((nrv = nng_tls_config_alloc(&cfg, NNG_TLS_MODE_SERVER)) != 0) {
		fprintf(stderr, "sluiced: TLS: %s\n", nng_strerror(nrv));
		goto out;
	}
	if ((nrv = nng_tls_config_own_cert(cfg, cert, key, NULL)) != 0) {
		fprintf(stderr, "sluiced: --tls-cert %s / --tls-key %s: not a PEM "
		                "certificate and its unencrypted private key (%s)\n",
		    c->tls_cert, c->tls_key, nng_strerror(nrv));
		goto out;
	}
	if (c->tls_client_ca != NULL && c->tls_client_crl != NULL) {
		/* nng takes a CRL only beside the CA, as PEM text. */
		if ((ca = read_pem(c->tls_client_ca, "--tls-client-ca")) == NULL ||
		    (crl = read_pem(c->tls_client_crl, "--tls-client-crl")) == NULL)
			goto out;
		if (tls_crl_stale(crl) == 1) {
			fprintf(stderr, "sluiced: --tls-client-crl %s: its next update "
			                "date has passed: every client certificate of that "
			                "CA would be refused; issue a fresh CRL\n",
			    c->tls_client_crl);
			goto out;
		}
		if ((nrv = nng_tls_config_ca_chain(cfg, ca, crl)) != 0) {
			fprintf(stderr, "sluiced: --tls-client-ca %s / --tls-client-crl "
			                "%s: not a PEM CA certificate and a PEM CRL (%s)\n",
			    c->tls_client_ca, c->tls_client_crl, nng_strerror(nrv));
			goto out;
		}
		nrv = nng_tls_config_auth_mode(cfg, NNG_TLS_AUTH_MODE_REQUIRED);
	} else if (c->tls_client_ca != NULL) {
		if ((nrv = nng_tls_config_ca_file(cfg, c->tls_client_ca)) != 0) {
			fprintf(stderr, "sluiced: --tls-client-ca %s: not a readable PEM "
			                "CA certificate (%s)\n", c->tls_client_ca,
			    nng_strerror(nrv));
			goto out;
		}
		nrv = nng_tls_config_auth_mode(cfg, NNG_TLS_AUTH_MODE_REQUIRED);
	} else {
		nrv = nng_tls_config_auth_mode(cfg, NNG_TLS_AUTH_MODE_NONE);
	}
	if (nrv != 0) {
		fprintf(stderr, "sluiced: TLS: %s\n", nng_strerror(nrv));
		goto out;
	}
	*out = cfg;
	cfg = NULL;
	rv = 0;
out:
	if (cfg != NULL)
		nng_tls_config_free(cfg);
	sl_free(cert);
	sl_free(key);
	sl_free(ca);
	sl_free(crl);
	return rv;
}

int
tls_listener_create(nng_listener *l, nng_socket sock, const broker_config *c)
{
	nng_tls_config *cfg = NULL;
	int rv;
	if ((rv = nng_listener_create(l, sock, c->listen_url)) != 0)
		return rv;
	if (!tls_url_is_tls(c->listen_url))
		return 0;
	if (tls_server_config(c, &cfg) != 0)
		return NNG_EINVAL;
	/* The listener holds its own reference. */
	rv = nng_listener_set_ptr(*l, NNG_OPT_TLS_CONFIG, cfg);
	nng_tls_config_free(cfg);
	return rv;
}
