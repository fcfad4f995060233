/*
 * sockio.c - non-blocking receive and send on the broker's raw rep0 socket
 * through two reused aios. nng_recvmsg/nng_sendmsg allocate an aio per call
 * (and nng 1.5 draws a random number, a getrandom syscall, for each), which
 * cost more than the receive or send itself on the hot path.
 * Loop thread only.
 */
#include "broker.h"

int
sockio_open(broker *b)
{
	int rv;
	if ((rv = nng_aio_alloc(&b->recv_aio, NULL, NULL)) != 0)
		return rv;
	if ((rv = nng_aio_alloc(&b->send_aio, NULL, NULL)) != 0) {
		nng_aio_free(b->recv_aio);
		b->recv_aio = NULL;
	}
	return rv;
}

void
sockio_close(broker *b)
{
	if (b->recv_aio != NULL)
		nng_aio_free(b->recv_aio);
	if (b->send_aio != NULL)
		nng_aio_free(b->send_aio);
	b->recv_aio = b->send_aio = NULL;
}

int
sockio_recv(broker *b, nng_msg **out)
{
	/* A zero timeout completes at once: with a message or ETIMEDOUT. */
	nng_aio_set_timeout(b->recv_aio, NNG_DURATION_ZERO);
	nng_recv_aio(b->sock, b->recv_aio);
	nng_aio_wait(b->recv_aio);
	int rv = nng_aio_result(b->recv_aio);
	if (rv == 0)
		*out = nng_aio_get_msg(b->recv_aio);
	return rv == NNG_ETIMEDOUT ? NNG_EAGAIN : rv;
}

int
sockio_send(broker *b, nng_msg *m)
{
	nng_aio_set_msg(b->send_aio, m);
	nng_aio_set_timeout(b->send_aio, NNG_DURATION_ZERO);
	nng_send_aio(b->sock, b->send_aio);
	nng_aio_wait(b->send_aio);
	int rv = nng_aio_result(b->send_aio);
	if (rv != 0) {
		/* On failure the message is still ours. */
		nng_msg_free(nng_aio_get_msg(b->send_aio));
		nng_aio_set_msg(b->send_aio, NULL);
	}
	return rv == NNG_ETIMEDOUT ? NNG_EAGAIN : rv;
}
