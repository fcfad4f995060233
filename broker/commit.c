/*
 * commit.c - the broker's group commit. Publishes accepted during a loop
 * turn wait in b->pending; right before the loop blocks (the prepare
 * phase) they all go into ONE tlog batch, written on a libuv worker thread
 * so a slow write or fsync never freezes the loop. Producers are answered
 * only after that write returns. One write is in flight at a time; what
 * arrives meanwhile forms the next batch, so writes pipeline with reading.
 */
#include "alloc.h"
#include "broker.h"
#include "log.h"
#include "ratelimit.h"

void
pending_pub_free(pending_pub *p)
{
	if (p == NULL)
		return;
	codec_request_free(p->req);
	sl_free(p);
}

void
commit_init(broker *b)
{
	b->pending = NULL;
	b->pending_tail = &b->pending;
	b->committing = NULL;
	b->held = NULL;
	b->held_tail = &b->held;
}

int
commit_must_hold(broker *b, tlog_topic *t)
{
	for (pending_pub *p = b->held; p != NULL; p = p->next)
		if (p->topic == t)
			return 1; /* keep the order behind the ones waiting */
	return subs_topic_blocked(b->subs, t);
}

/* The receive time of a publish, for publish_to_persist: stamped when
 * handle_publish queues it (held or not), kept when a held one moves on. */
static void
stamp_received(pending_pub *p)
{
	if (p->received_ns == 0)
		p->received_ns = uv_hrtime();
}

void
commit_hold(broker *b, pending_pub *p)
{
	stamp_received(p);
	p->next = NULL;
	*b->held_tail = p;
	b->held_tail = &p->next;
	b->pending_bytes += p->bytes;
}

/* Moves every held publish whose topic has room (and, for a rate limited
 * topic, whose limit allows it now) to the commit queue. Once one of a
 * topic stays, all later ones of that topic stay, keeping order. */
void
commit_retry_held(broker *b)
{
	pending_pub **pp = &b->held;
	tlog_topic *stuck[8];
	size_t nstuck = 0;
	ratelimit_publish_pass(b);
	while (*pp != NULL) {
		pending_pub *p = *pp;
		int wait = 0;
		for (size_t i = 0; i < nstuck; i++)
			wait |= stuck[i] == p->topic;
		if (!wait && subs_topic_blocked(b->subs, p->topic)) {
			wait = 1;
			if (nstuck < sizeof(stuck) / sizeof(stuck[0]))
				stuck[nstuck++] = p->topic;
			else
				break; /* many blocked topics: the rest wait a turn */
		}
		/* The rate limit remembers, per pass, which topics refused. */
		if (!wait && !ratelimit_publish_admit(b, p))
			wait = 1;
		if (wait) {
			pp = &p->next;
			continue;
		}
		*pp = p->next;
		b->pending_bytes -= p->bytes;
		commit_enqueue(b, p);
	}
	b->held_tail = &b->held;
	while (*b->held_tail != NULL)
		b->held_tail = &(*b->held_tail)->next;
}

void
commit_fail_held(broker *b, sluice_err rv)
{
	while (b->held != NULL) {
		pending_pub *p = b->held;
		b->held = p->next;
		reply_error(b, &p->to, rv, NULL);
		b->pending_bytes -= p->bytes;
		pending_pub_free(p);
	}
	b->held_tail = &b->held;
}

void
commit_enqueue(broker *b, pending_pub *p)
{
	stamp_received(p);
	p->next = NULL;
	*b->pending_tail = p;
	b->pending_tail = &p->next;
	b->pending_bytes += p->bytes;
	/* Backpressure: stop reading frames until the writes catch up; nng's
	 * bounded queues and TCP then slow the producers down. */
	if (b->pending_bytes > b->cfg.max_pending_bytes)
		broker_read_pause(b);
}

int
commit_is_idle(const broker *b)
{
	return b->pending == NULL && !b->write_in_flight;
}

static void
answer(broker *b, pending_pub *p, sluice_err rv)
{
	if (p->dead_letter) {
		subs_dead_letter_done(b->subs, p->dl_sub_uid, p->dl_offset, rv);
		return;
	}
	Sluice__Reply r = SLUICE__REPLY__INIT;
	Sluice__PublishAck ack = SLUICE__PUBLISH_ACK__INIT;
	if (rv == SLUICE_OK) {
		ack.base_offset = p->base;
		ack.count = (uint32_t) p->req->publish->n_messages;
		ack.publish_time_us = p->publish_time_us;
		r.body_case = SLUICE__REPLY__BODY_PUBLISH;
		r.publish = &ack;
	} else {
		r.status = (uint32_t) rv;
		r.error = (char *) sluice_strerror(rv);
	}
	reply_send(b, &p->to, &r);
}

/* Answers every publish of the finished batch and frees them. */
static void
answer_all(broker *b, sluice_err rv)
{
	pending_pub *p = b->committing;
	b->committing = NULL;
	while (p != NULL) {
		pending_pub *next = p->next;
		answer(b, p, rv);
		b->pending_bytes -= p->bytes;
		pending_pub_free(p);
		p = next;
	}
	if (b->pending_bytes <= b->cfg.max_pending_bytes / 2)
		broker_read_resume(b);
}

/*
 * Hands the committed messages to the subscriptions: non-reliable ones get
 * them from memory; reliable dispatchers of each touched topic are woken
 * once per batch, however many messages it held.
 */
static void
feed_subscriptions(broker *b)
{
	tlog_topic *woken[16];
	size_t nwoken = 0;
	for (pending_pub *p = b->committing; p != NULL; p = p->next) {
		if (subs_topic_wants_messages(b->subs, p->topic))
			subs_on_commit(b->subs, p->topic, p->req->publish->messages,
			    p->req->publish->n_messages, p->base, p->publish_time_us);
		size_t i = 0;
		while (i < nwoken && woken[i] != p->topic)
			i++;
		if (i < nwoken)
			continue;
		if (nwoken == sizeof(woken) / sizeof(woken[0])) {
			subs_wake(b->subs, p->topic); /* many topics: wake now */
			continue;
		}
		woken[nwoken++] = p->topic;
	}
	for (size_t i = 0; i < nwoken; i++)
		subs_wake(b->subs, woken[i]);
}

/* Each publish of the batch just written: from its receive to now. */
static void
observe_persisted(broker *b)
{
	uint64_t now = uv_hrtime();
	for (pending_pub *p = b->committing; p != NULL; p = p->next)
		lathist_observe(&b->publish_to_persist,
		    now > p->received_ns ? (now - p->received_ns) / 1000 : 0);
}

static void
write_work(uv_work_t *w)
{
	broker *b = w->data;
	b->write_rv = tlog_batch_write(b->batch, b->cfg.fsync == FSYNC_ALWAYS);
}

static void
write_done(uv_work_t *w, int status)
{
	broker *b = w->data;
	sluice_err rv = status == 0 ? b->write_rv : SLUICE_ESTORAGE;
	b->write_in_flight = 0;
	tlog_batch_done(b->batch, rv);
	if (rv == SLUICE_OK)
		b->dirty_since_sync = b->cfg.fsync != FSYNC_ALWAYS;
	else {
		sl_error("group commit failed: %s; its publishes are refused",
		    sluice_strerror(rv));
		subs_persist_failed(b->subs); /* cursors it carried: again */
	}
	if (rv == SLUICE_OK) {
		observe_persisted(b);
		feed_subscriptions(b);
	}
	answer_all(b, rv);
	broker_stop_if_drained(b);
}

static uint64_t
keep_unacked(void *arg, tlog_topic *t)
{
	return subs_topic_min_floor(arg, t);
}

/* Appends every taken publish; on failure the caller rolls back. */
static sluice_err
fill_batch(broker *b, int64_t now)
{
	for (pending_pub *p = b->committing; p != NULL; p = p->next) {
		p->publish_time_us = now;
		sluice_err rv = tlog_batch_append(b->batch, p->topic,
		    p->req->publish->messages, p->req->publish->n_messages, now,
		    &p->base);
		if (rv != SLUICE_OK)
			return rv;
	}
	if (b->retention_due) {
		uint64_t deleted = 0;
		b->retention_due = 0;
		/* Bounded so a huge backlog never stalls one loop turn. */
		sluice_err rv = tlog_retention_apply(b->log, b->batch, now, 100000,
		    keep_unacked, b->subs, &deleted);
		if (rv != SLUICE_OK)
			sl_warn("retention: %s", sluice_strerror(rv));
		else if (deleted > 0)
			sl_event(SL_LOG_INFO, "retention_delete",
			    SL_FIELDS(SL_U64("messages", deleted)),
			    "retention: %llu messages deleted",
			    (unsigned long long) deleted);
	}
	if (b->cursors_due) {
		b->cursors_due = 0;
		subs_persist(b->subs, b->batch, 0);
	}
	return SLUICE_OK;
}

void
commit_on_prepare(uv_prepare_t *h)
{
	broker *b = h->data;
	engine_timer_rearm(b);
	/* Failures changed attempt counts: they must survive a crash. */
	if (b->subs != NULL && subs_flush_wanted(b->subs))
		b->cursors_due = 1;
	if (b->write_in_flight ||
	    (b->pending == NULL && !b->retention_due && !b->cursors_due))
		return;
	b->committing = b->pending;
	b->pending = NULL;
	b->pending_tail = &b->pending;

	sluice_err rv = fill_batch(b, sl_now_us());
	if (rv != SLUICE_OK) {
		tlog_batch_seal(b->batch);
		tlog_batch_done(b->batch, rv);
		answer_all(b, rv);
		return;
	}
	if (tlog_batch_is_empty(b->batch))
		return; /* a retention pass that found nothing to delete */
	tlog_batch_seal(b->batch);
	b->write_in_flight = 1;
	b->write_req.data = b;
	if (b->cfg.fsync != FSYNC_ALWAYS) {
		/*
		 * Without fsync a write only copies into RocksDB's WAL buffer
		 * and memtable (tens of microseconds): doing it here saves two
		 * thread hand-offs per batch, which cost more than the write.
		 * Only fsync is slow enough to need the worker thread.
		 */
		write_work(&b->write_req);
		write_done(&b->write_req, 0);
		return;
	}
	int err = uv_queue_work(&b->loop, &b->write_req, write_work, write_done);
	if (err != 0) {
		b->write_in_flight = 0;
		sl_error("cannot queue a write: %s", uv_strerror(err));
		tlog_batch_done(b->batch, SLUICE_ESTORAGE);
		subs_persist_failed(b->subs);
		answer_all(b, SLUICE_ESTORAGE);
	}
}
