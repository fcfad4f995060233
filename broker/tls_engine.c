/*
 * tls_engine.c - our TLS engine for nng (nng/supplemental/tls/engine.h),
 * over mbedtls 2.28: the same library and the same behaviour as nng's
 * built-in engine (TLS 1.2, PEM, auth modes none/optional/required), plus
 * the one thing nng 1.5.2 cannot tell us: the subject CN of a verified
 * peer certificate. The only file that includes mbedtls' TLS headers.
 *
 * nng offers no per-connection option an engine could add, so the CN
 * leaves by a side door: nng_pipe_get_bool(NNG_OPT_TLS_VERIFIED) calls
 * our `verified` op synchronously on the caller's thread, and that op
 * copies the CN into a buffer the caller left in a thread-local.
 */
#include "tls_engine.h"

#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/oid.h>
#include <mbedtls/ssl.h>
#include <mbedtls/version.h>
#include <mbedtls/x509_crt.h>
#include <nng/supplemental/tls/engine.h>

#include "alloc.h"
#include "auth.h"

/* One certificate (or chain) and its key; mbedtls keeps pointers to both. */
typedef struct own_cert {
	mbedtls_x509_crt crt;
	mbedtls_pk_context key;
	struct own_cert *next;
} own_cert;

struct nng_tls_engine_config {
	mbedtls_ssl_config conf;
	mbedtls_x509_crt ca;
	mbedtls_x509_crl crl;
	char *server_name;       /* sl_strdup'd, or NULL */
	own_cert *certs;
};

struct nng_tls_engine_conn {
	void *tls;               /* nng's connection, for engine_send/recv */
	mbedtls_ssl_context ssl;
	char cn[AUTH_MAX_PRINCIPAL]; /* verified peer's CN, or "" */
};

/* One generator for every connection: mbedtls' contexts are not
 * thread-safe and nng runs handshakes on its own threads. */
static mbedtls_entropy_context entropy;
static mbedtls_ctr_drbg_context drbg;
static pthread_mutex_t drbg_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t drbg_once = PTHREAD_ONCE_INIT;
static int drbg_rv;

/* Where tls_peer_principal wants the CN; set only around its call. */
static __thread char *want_buf;
static __thread size_t want_len;
static __thread int want_done;

static void
drbg_seed(void)
{
	static const unsigned char pers[] = "sluiced tls";
	mbedtls_entropy_init(&entropy);
	mbedtls_ctr_drbg_init(&drbg);
	drbg_rv = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy,
	    pers, sizeof(pers) - 1);
}

static int
drbg_random(void *arg, unsigned char *buf, size_t n)
{
	(void) arg;
	pthread_mutex_lock(&drbg_lock);
	int rv = mbedtls_ctr_drbg_random(&drbg, buf, n);
	pthread_mutex_unlock(&drbg_lock);
	return rv;
}

/* An mbedtls error as nng's: a peer we cannot trust is EPEERAUTH,
 * anything else about the session ECRYPTO. */
static int
nng_err(int rv)
{
	switch (rv) {
	case MBEDTLS_ERR_SSL_WANT_READ:
	case MBEDTLS_ERR_SSL_WANT_WRITE:
		return NNG_EAGAIN;
	case MBEDTLS_ERR_X509_CERT_VERIFY_FAILED:
	case MBEDTLS_ERR_SSL_NO_CLIENT_CERTIFICATE:
	case MBEDTLS_ERR_SSL_CA_CHAIN_REQUIRED:
	case MBEDTLS_ERR_SSL_PEER_VERIFY_FAILED:
	case MBEDTLS_ERR_SSL_NO_USABLE_CIPHERSUITE:
		return NNG_EPEERAUTH;
	case MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY:
		return NNG_ECONNSHUT;
	case MBEDTLS_ERR_SSL_CONN_EOF:
	case MBEDTLS_ERR_NET_SEND_FAILED:
	case MBEDTLS_ERR_NET_RECV_FAILED:
		return NNG_ECLOSED;
	case MBEDTLS_ERR_SSL_ALLOC_FAILED:
	case MBEDTLS_ERR_X509_ALLOC_FAILED:
	case MBEDTLS_ERR_PK_ALLOC_FAILED:
		return NNG_ENOMEM;
	case MBEDTLS_ERR_SSL_TIMEOUT:
		return NNG_ETIMEDOUT;
	default:
		return NNG_ECRYPTO;
	}
}

/* mbedtls' BIO callbacks: the bytes go through nng's TCP stream. */
static int
bio_send(void *tls, const unsigned char *buf, size_t len)
{
	size_t n = len;
	int rv = nng_tls_engine_send(tls, buf, &n);
	if (rv == NNG_EAGAIN)
		return MBEDTLS_ERR_SSL_WANT_WRITE;
	return rv == 0 ? (int) n : MBEDTLS_ERR_NET_SEND_FAILED;
}

static int
bio_recv(void *tls, unsigned char *buf, size_t len)
{
	size_t n = len;
	int rv = nng_tls_engine_recv(tls, buf, &n);
	if (rv == NNG_EAGAIN)
		return MBEDTLS_ERR_SSL_WANT_READ;
	return rv == 0 ? (int) n : MBEDTLS_ERR_NET_RECV_FAILED;
}

/*
 * The verified peer certificate's subject CN into out (AUTH_MAX_PRINCIPAL
 * bytes), or "" when there is none we would accept as a principal: a
 * second CN (which one would name the peer?), an empty or too long one,
 * or one with control characters (it goes into logs and ACL look-ups).
 */
static void
peer_cn(const mbedtls_ssl_context *ssl, char *out)
{
	const mbedtls_x509_crt *crt = mbedtls_ssl_get_peer_cert(ssl);
	const mbedtls_x509_buf *val = NULL;
	out[0] = '\0';
	if (crt == NULL || mbedtls_ssl_get_verify_result(ssl) != 0)
		return;
	for (const mbedtls_x509_name *nm = &crt->subject; nm != NULL; nm = nm->next) {
		if (nm->oid.p == NULL || MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &nm->oid) != 0)
			continue;
		if (val != NULL)
			return;
		val = &nm->val;
	}
	if (val == NULL || val->len == 0 || val->len >= AUTH_MAX_PRINCIPAL)
		return;
	for (size_t i = 0; i < val->len; i++)
		if (val->p[i] < 0x20 || val->p[i] == 0x7f)
			return;
	memcpy(out, val->p, val->len);
	out[val->len] = '\0';
}

static int
conn_init(nng_tls_engine_conn *c, void *tls, nng_tls_engine_config *cfg)
{
	int rv;
	c->tls = tls;
	mbedtls_ssl_init(&c->ssl);
	if ((rv = mbedtls_ssl_setup(&c->ssl, &cfg->conf)) != 0)
		return nng_err(rv);
	/* SNI, and the name a client checks the server's certificate for. */
	if (cfg->server_name != NULL &&
	    (rv = mbedtls_ssl_set_hostname(&c->ssl, cfg->server_name)) != 0)
		return nng_err(rv);
	mbedtls_ssl_set_bio(&c->ssl, tls, bio_send, bio_recv, NULL);
	return 0;
}

static void
conn_fini(nng_tls_engine_conn *c)
{
	mbedtls_ssl_free(&c->ssl);
}

/* Best effort: the peer may be gone already. TCP is nng's to close. */
static void
conn_close(nng_tls_engine_conn *c)
{
	(void) mbedtls_ssl_close_notify(&c->ssl);
}

static int
conn_handshake(nng_tls_engine_conn *c)
{
	int rv = mbedtls_ssl_handshake(&c->ssl);
	if (rv != 0)
		return nng_err(rv);
	peer_cn(&c->ssl, c->cn);
	return 0;
}

static int
conn_recv(nng_tls_engine_conn *c, uint8_t *buf, size_t *n)
{
	int rv = mbedtls_ssl_read(&c->ssl, buf, *n);
	/* 0: the transport ended without a close_notify (mbedtls 2.x). */
	if (rv == 0 && *n > 0)
		return NNG_ECLOSED;
	if (rv < 0)
		return nng_err(rv);
	*n = (size_t) rv;
	return 0;
}

static int
conn_send(nng_tls_engine_conn *c, const uint8_t *buf, size_t *n)
{
	int rv = mbedtls_ssl_write(&c->ssl, buf, *n);
	if (rv < 0)
		return nng_err(rv);
	*n = (size_t) rv;
	return 0;
}

/* nng calls this under the connection's lock on the thread asking for
 * NNG_OPT_TLS_VERIFIED: the side door tls_peer_principal uses. */
static bool
conn_verified(nng_tls_engine_conn *c)
{
	bool ok = mbedtls_ssl_get_verify_result(&c->ssl) == 0;
	size_t len = strlen(c->cn);
	if (want_buf != NULL && ok && len > 0 && len < want_len) {
		memcpy(want_buf, c->cn, len + 1);
		want_done = 1;
	}
	return ok;
}

static void
config_fini(nng_tls_engine_config *cfg)
{
	mbedtls_ssl_config_free(&cfg->conf);
	mbedtls_x509_crt_free(&cfg->ca);
	mbedtls_x509_crl_free(&cfg->crl);
	sl_free(cfg->server_name);
	while (cfg->certs != NULL) {
		own_cert *oc = cfg->certs;
		cfg->certs = oc->next;
		mbedtls_x509_crt_free(&oc->crt);
		mbedtls_pk_free(&oc->key);
		sl_free(oc);
	}
}

static int
config_init(nng_tls_engine_config *cfg, nng_tls_mode mode)
{
	int server = mode == NNG_TLS_MODE_SERVER;
	int rv;
	mbedtls_ssl_config_init(&cfg->conf);
	mbedtls_x509_crt_init(&cfg->ca);
	mbedtls_x509_crl_init(&cfg->crl);
	rv = mbedtls_ssl_config_defaults(&cfg->conf,
	    server ? MBEDTLS_SSL_IS_SERVER : MBEDTLS_SSL_IS_CLIENT,
	    MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
	if (rv != 0) {
		config_fini(cfg);
		return nng_err(rv);
	}
	/* As nng's engine: servers ask nothing of clients by default,
	 * clients always verify the server; TLS 1.2 only. */
	mbedtls_ssl_conf_authmode(&cfg->conf,
	    server ? MBEDTLS_SSL_VERIFY_NONE : MBEDTLS_SSL_VERIFY_REQUIRED);
	mbedtls_ssl_conf_min_version(&cfg->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
	    MBEDTLS_SSL_MINOR_VERSION_3);
	mbedtls_ssl_conf_max_version(&cfg->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
	    MBEDTLS_SSL_MINOR_VERSION_3);
	mbedtls_ssl_conf_rng(&cfg->conf, drbg_random, NULL);
	return 0;
}

static int
config_server(nng_tls_engine_config *cfg, const char *name)
{
	char *dup = sl_strdup(name);
	if (dup == NULL)
		return NNG_ENOMEM;
	sl_free(cfg->server_name);
	cfg->server_name = dup;
	return 0;
}

static int
config_auth(nng_tls_engine_config *cfg, nng_tls_auth_mode mode)
{
	int m;
	switch (mode) {
	case NNG_TLS_AUTH_MODE_NONE:
		m = MBEDTLS_SSL_VERIFY_NONE;
		break;
	case NNG_TLS_AUTH_MODE_OPTIONAL:
		m = MBEDTLS_SSL_VERIFY_OPTIONAL;
		break;
	case NNG_TLS_AUTH_MODE_REQUIRED:
		m = MBEDTLS_SSL_VERIFY_REQUIRED;
		break;
	default:
		return NNG_EINVAL;
	}
	mbedtls_ssl_conf_authmode(&cfg->conf, m);
	return 0;
}

/* PEM text as mbedtls wants it: the length counts the NUL. */
static int
config_ca_chain(nng_tls_engine_config *cfg, const char *certs, const char *crl)
{
	int rv = mbedtls_x509_crt_parse(&cfg->ca, (const unsigned char *) certs,
	    strlen(certs) + 1);
	if (rv != 0)
		return nng_err(rv);
	if (crl != NULL && (rv = mbedtls_x509_crl_parse(&cfg->crl,
	                        (const unsigned char *) crl, strlen(crl) + 1)) != 0)
		return nng_err(rv);
	mbedtls_ssl_conf_ca_chain(&cfg->conf, &cfg->ca, &cfg->crl);
	return 0;
}

/* May be called more than once (say an RSA and an EC identity). */
static int
config_own_cert(nng_tls_engine_config *cfg, const char *cert, const char *key,
    const char *pass)
{
	own_cert *oc = sl_alloc(sizeof(*oc));
	int rv;
	if (oc == NULL)
		return NNG_ENOMEM;
	mbedtls_x509_crt_init(&oc->crt);
	mbedtls_pk_init(&oc->key);
	if ((rv = mbedtls_x509_crt_parse(&oc->crt, (const unsigned char *) cert,
	         strlen(cert) + 1)) != 0 ||
	    (rv = mbedtls_pk_parse_key(&oc->key, (const unsigned char *) key,
	         strlen(key) + 1, (const unsigned char *) pass,
	         pass != NULL ? strlen(pass) : 0)) != 0 ||
	    (rv = mbedtls_ssl_conf_own_cert(&cfg->conf, &oc->crt, &oc->key)) != 0) {
		mbedtls_x509_crt_free(&oc->crt);
		mbedtls_pk_free(&oc->key);
		sl_free(oc);
		return nng_err(rv);
	}
	oc->next = cfg->certs;
	cfg->certs = oc;
	return 0;
}

/* nng's version as mbedtls' minor number (major is 3); -1 when unknown. */
static int
minor_of(nng_tls_version v)
{
	switch (v) {
	case NNG_TLS_1_0:
		return MBEDTLS_SSL_MINOR_VERSION_1;
	case NNG_TLS_1_1:
		return MBEDTLS_SSL_MINOR_VERSION_2;
	case NNG_TLS_1_2:
		return MBEDTLS_SSL_MINOR_VERSION_3;
	default:
		return -1;
	}
}

/* mbedtls 2.28 has no TLS 1.3: a range reaching it stops at 1.2, one
 * starting there is unsupported. */
static int
config_version(nng_tls_engine_config *cfg, nng_tls_version lo, nng_tls_version hi)
{
	if (lo > hi)
		return NNG_ENOTSUP;
	int min = minor_of(lo);
	int max = hi == NNG_TLS_1_3 ? MBEDTLS_SSL_MINOR_VERSION_3 : minor_of(hi);
	if (min < 0 || max < 0)
		return NNG_ENOTSUP;
	mbedtls_ssl_conf_min_version(&cfg->conf, MBEDTLS_SSL_MAJOR_VERSION_3, min);
	mbedtls_ssl_conf_max_version(&cfg->conf, MBEDTLS_SSL_MAJOR_VERSION_3, max);
	return 0;
}

static nng_tls_engine_config_ops config_ops = {
	.size = sizeof(nng_tls_engine_config),
	.init = config_init,
	.fini = config_fini,
	.server = config_server,
	.auth = config_auth,
	.ca_chain = config_ca_chain,
	.own_cert = config_own_cert,
	.version = config_version,
};

static nng_tls_engine_conn_ops conn_ops = {
	.size = sizeof(nng_tls_engine_conn),
	.init = conn_init,
	.fini = conn_fini,
	.close = conn_close,
	.handshake = conn_handshake,
	.recv = conn_recv,
	.send = conn_send,
	.verified = conn_verified,
};

static nng_tls_engine engine = {
	.version = NNG_TLS_ENGINE_VERSION,
	.config_ops = &config_ops,
	.conn_ops = &conn_ops,
	.name = "sluice-mbed",
	.description = "sluiced's engine over " MBEDTLS_VERSION_STRING_FULL,
	.fips_mode = false,
};

int
tls_engine_register(void)
{
	pthread_once(&drbg_once, drbg_seed);
	if (drbg_rv != 0)
		return NNG_ECRYPTO;
	return nng_tls_engine_register(&engine);
}

int
tls_crl_stale(const char *pem)
{
	mbedtls_x509_crl crl;
	int rv;
	mbedtls_x509_crl_init(&crl);
	if (mbedtls_x509_crl_parse(&crl, (const unsigned char *) pem, strlen(pem) + 1) != 0)
		rv = -1;
	else
		rv = mbedtls_x509_time_is_past(&crl.next_update) ? 1 : 0;
	mbedtls_x509_crl_free(&crl);
	return rv;
}

int
tls_peer_principal(nng_pipe p, char *buf, size_t n)
{
	char cn[AUTH_MAX_PRINCIPAL];
	bool verified = false;
	want_buf = cn;
	want_len = n < sizeof(cn) ? n : sizeof(cn);
	want_done = 0;
	int rv = nng_pipe_get_bool(p, NNG_OPT_TLS_VERIFIED, &verified);
	int done = want_done;
	want_buf = NULL;
	want_len = 0;
	want_done = 0;
	if (rv != 0 || !verified || !done)
		return -1;
	memcpy(buf, cn, strlen(cn) + 1);
	return 0;
}
