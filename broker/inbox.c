/* inbox.c - pipe events from nng threads to the loop (see inbox.h). */
#include "inbox.h"

#include "alloc.h"

static void
on_wake(uv_async_t *h)
{
	inbox *in = h->data;
	inbox_event *evs;
	size_t n;

	/* Swap the queue out under the lock, run callbacks without it. */
	uv_mutex_lock(&in->mu);
	evs = in->events;
	n = in->count;
	in->events = NULL;
	in->count = in->cap = 0;
	uv_mutex_unlock(&in->mu);
	for (size_t i = 0; i < n; i++)
		in->cb(in->arg, &evs[i]);
	sl_free(evs);
}

int
inbox_init(inbox *in, uv_loop_t *loop, inbox_cb cb, void *arg)
{
	in->events = NULL;
	in->count = in->cap = 0;
	in->cb = cb;
	in->arg = arg;
	if (uv_mutex_init(&in->mu) != 0)
		return -1;
	in->wake.data = in;
	if (uv_async_init(loop, &in->wake, on_wake) != 0) {
		uv_mutex_destroy(&in->mu);
		return -1;
	}
	return 0;
}

int
inbox_push(inbox *in, inbox_kind kind, uint32_t pipe_id)
{
	int rv = 0;
	uv_mutex_lock(&in->mu);
	if (in->count == in->cap) {
		size_t cap = in->cap ? in->cap * 2 : 16;
		inbox_event *e = sl_realloc(in->events, cap * sizeof(*e));
		if (e == NULL) {
			rv = -1;
			goto out;
		}
		in->events = e;
		in->cap = cap;
	}
	in->events[in->count++] = (inbox_event) { .kind = kind, .pipe_id = pipe_id };
	/* Under the lock: the loop may free `in` once it has drained. */
	uv_async_send(&in->wake);
out:
	uv_mutex_unlock(&in->mu);
	return rv;
}

void
inbox_close(inbox *in)
{
	uv_close((uv_handle_t *) &in->wake, NULL);
}

void
inbox_fini(inbox *in)
{
	sl_free(in->events);
	in->events = NULL;
	uv_mutex_destroy(&in->mu);
}
