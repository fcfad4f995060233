/*
 * nng_err.c - the one place nng error numbers become sluice_err values.
 * Every nng call in libsluice passes its failure through here, so callers
 * see our codes (which travel and never change), not nng's.
 */
#include "client_impl.h"

sluice_err
sl_err_from_nng(int nng_rv)
{
	switch (nng_rv) {
	case 0:
		return SLUICE_OK;
	case NNG_ENOMEM:
		return SLUICE_ENOMEM;
	case NNG_ETIMEDOUT:
		return SLUICE_ETIMEDOUT;
	/* A dial to an ipc path nobody listens on reports the missing file. */
	case NNG_ECONNREFUSED:
	case NNG_ENOENT:
		return SLUICE_ECONNREFUSED;
	case NNG_ECLOSED:
	case NNG_ECANCELED:
	case NNG_ECONNABORTED:
	case NNG_ECONNRESET:
	case NNG_ECONNSHUT:
		return SLUICE_ECLOSED;
	case NNG_EINVAL:
	case NNG_EADDRINVAL:
	case NNG_ENOTSUP:
		return SLUICE_EINVAL;
	case NNG_EPROTO:
		return SLUICE_EPROTO;
	case NNG_EMSGSIZE:
		return SLUICE_ETOOBIG;
	/* TLS: a certificate not trusted, not for the server name, or a
	 * broken handshake. client.c logs which, as it knows the options. */
	case NNG_ECRYPTO:
	case NNG_EPEERAUTH:
		return SLUICE_ETRANSPORT;
	default:
		return SLUICE_ETRANSPORT;
	}
}
