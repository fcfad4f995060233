/*
 * admin.c - the blocking admin request of libsluice (sluice/admin.h): it
 * wraps a caller's encoded sluice.Admin in a Request, sends it on the
 * client's transport (client.c) and hands back the reply's AdminResult
 * re-encoded, with the broker's status as the return value. It knows
 * nothing of what the operations mean; the broker and sluice-admin do.
 *
 * The admin message is decoded once before sending: a malformed one is the
 * caller's mistake (SLUICE_EINVAL) and must not reach the broker, whose
 * answer to a bad frame (request id 0) the client could only report as a
 * protocol error.
 */
#include <string.h>

#include "alloc.h"
#include "client_impl.h"
#include "log.h"
#include "sluice/admin.h"

/* One call in flight; lives on the caller's stack until done has run. */
typedef struct {
	client_req req;     /* first: the client hands this back */
	nng_mtx   *mu;
	nng_cv    *cv;      /* signalled once, when finished is set */
	int        finished; /* guarded by mu */
	sluice_err rv;      /* set by done before finished */
	void      *buf;     /* encoded AdminResult (sl_alloc), on SLUICE_OK */
	size_t     len;
	char      *detail;  /* caller's buffer, or NULL */
	size_t     detail_len;
} admin_call;

/* Decoding goes through sl_alloc so tests can fail it; `data` points at a
 * flag raised on a failed allocation, to tell it from bad bytes. */
static void *
pb_alloc(void *data, size_t size)
{
	void *p = sl_alloc(size);
	if (p == NULL && data != NULL)
		*(int *) data = 1;
	return p;
}

static void
pb_free(void *data, void *p)
{
	(void) data;
	sl_free(p);
}

static void
detail_set(char *detail, size_t n, const char *text)
{
	if (detail == NULL || n == 0)
		return;
	size_t len = text != NULL ? strlen(text) : 0;
	if (len >= n)
		len = n - 1;
	if (len > 0)
		memcpy(detail, text, len);
	detail[len] = '\0';
}

/* Re-encodes the reply's result into a buffer of our own: the reply is
 * freed by the transport once this returns. */
static sluice_err
take_result(admin_call *x, const Sluice__Reply *reply)
{
	const Sluice__AdminResult *res = NULL;
	if (reply->body_case == SLUICE__REPLY__BODY_ADMIN)
		res = reply->admin;
	else if (reply->body_case != SLUICE__REPLY__BODY__NOT_SET)
		return SLUICE_EPROTO;
	/* No body: an operation with nothing to report (an empty result). */
	size_t len = res != NULL ? sluice__admin_result__get_packed_size(res) : 0;
	uint8_t *buf = sl_alloc(len);
	if (buf == NULL)
		return SLUICE_ENOMEM;
	if (res != NULL)
		sluice__admin_result__pack(res, buf);
	x->buf = buf;
	x->len = len;
	return SLUICE_OK;
}

/* The transport's verdict, on an nng thread. */
static void
call_done(client_req *r, sluice_err rv, const Sluice__Reply *reply)
{
	admin_call *x = (admin_call *) r;
	if (rv == SLUICE_OK && reply->status != SLUICE_OK) {
		rv = (sluice_err) reply->status;
		detail_set(x->detail, x->detail_len, reply->error);
		sl_debug("sluice: admin request refused: %s (%s)",
		    sluice_strerror(rv), reply->error);
	} else if (rv == SLUICE_OK) {
		rv = take_result(x, reply);
	}
	nng_mtx_lock(x->mu);
	x->rv = rv;
	x->finished = 1;
	nng_cv_wake(x->cv);
	nng_mtx_unlock(x->mu);
}

/* Decodes the caller's Admin and encodes the Request around it. */
static sluice_err
encode(sluice_client *c, const void *admin, size_t len, admin_call *x)
{
	int failed = 0;
	ProtobufCAllocator a = { pb_alloc, pb_free, &failed };
	Sluice__Admin *ad = sluice__admin__unpack(&a, len, admin);
	if (ad == NULL)
		return failed ? SLUICE_ENOMEM : SLUICE_EINVAL;
	Sluice__Request rq = SLUICE__REQUEST__INIT;
	rq.request_id = x->req.id = client_next_id(c);
	rq.body_case = SLUICE__REQUEST__BODY_ADMIN;
	rq.admin = ad;
	sluice_err rv = client_encode(&rq, &x->req.msg);
	sluice__admin__free_unpacked(ad, &a);
	return rv;
}

sluice_err
sluice_admin_call(sluice_client *c, const void *admin, size_t len,
    void **result, size_t *result_len, char *detail, size_t detail_len)
{
	detail_set(detail, detail_len, "");
	if (c == NULL || (admin == NULL && len > 0) || result == NULL ||
	    result_len == NULL)
		return SLUICE_EINVAL;

	admin_call x;
	memset(&x, 0, sizeof(x));
	x.req.done = call_done;
	x.detail = detail;
	x.detail_len = detail_len;
	sluice_err rv = sl_err_from_nng(nng_mtx_alloc(&x.mu));
	if (rv == SLUICE_OK)
		rv = sl_err_from_nng(nng_cv_alloc(&x.cv, x.mu));
	if (rv == SLUICE_OK)
		rv = encode(c, admin, len, &x);
	if (rv != SLUICE_OK)
		goto out;

	/* The client bounds the send and the reply by its request timeout,
	 * so this wait ends: done runs exactly once after a submit. */
	if ((rv = client_submit(c, &x.req)) != SLUICE_OK) {
		nng_msg_free(x.req.msg);
		goto out;
	}
	nng_mtx_lock(x.mu);
	while (!x.finished)
		nng_cv_wait(x.cv);
	nng_mtx_unlock(x.mu);
	if ((rv = x.rv) == SLUICE_OK) {
		*result = x.buf;
		*result_len = x.len;
	}

out:
	if (x.cv != NULL)
		nng_cv_free(x.cv);
	if (x.mu != NULL)
		nng_mtx_free(x.mu);
	return rv;
}

void
sluice_admin_result_free(void *result)
{
	sl_free(result);
}
