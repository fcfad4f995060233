/*
 * ratelimit.c - per-topic publish rate limits (see ratelimit.h). The limit
 * itself is the topic's (tlog_topic_publish_limit, persisted in its
 * TopicMeta); this file keeps, per topic id, two token buckets (messages
 * and bytes of the encoded messages, one second of burst) and how many
 * publishes they delayed, and one timer for all topics that fires when the
 * earliest held publish can be paid for. What waits, and in which order,
 * is commit.c's held list.
 */
#include "ratelimit.h"

#include "alloc.h"
#include "tokenbucket.h"

typedef struct {
	tokenbucket msgs, bytes;
	int started;           /* buckets initialised */
	uint64_t rate_limited; /* publishes delayed, since start */
	uint64_t refused_pass; /* the retry pass that last refused one */
} topic_limit;

static topic_limit *
entry(broker *b, const tlog_topic *t, int create)
{
	if (b->pub_limits == NULL &&
	    (!create || u64map_alloc(&b->pub_limits) != SLUICE_OK))
		return NULL;
	topic_limit *tl = u64map_get(b->pub_limits, tlog_topic_id(t));
	if (tl != NULL || !create)
		return tl;
	if ((tl = sl_alloc(sizeof(*tl))) == NULL)
		return NULL;
	if (u64map_put(b->pub_limits, tlog_topic_id(t), tl) != SLUICE_OK) {
		sl_free(tl);
		return NULL;
	}
	return tl;
}

static void
on_timer(uv_timer_t *h)
{
	broker *b = h->data;
	b->pub_limit_due_ms = 0;
	if (b->held != NULL)
		commit_retry_held(b);
}

/* Makes the timer fire at at_ms, unless it fires earlier already (that
 * retry re-arms it for what still waits). */
static void
arm(broker *b, uint64_t at_ms)
{
	if (b->pub_limit_timer.data == NULL)
		return; /* not started, or closed */
	if (b->pub_limit_due_ms != 0 && b->pub_limit_due_ms <= at_ms)
		return;
	uint64_t now = broker_now_ms(b);
	uv_timer_start(&b->pub_limit_timer, on_timer, at_ms > now ? at_ms - now : 0, 0);
	b->pub_limit_due_ms = at_ms;
}

void
ratelimit_publish_start(broker *b)
{
	uv_timer_init(&b->loop, &b->pub_limit_timer);
	b->pub_limit_timer.data = b;
	b->pub_limit_due_ms = 0;
	b->pub_limit_pass = 1; /* refused_pass 0 means never */
}

void
ratelimit_publish_stop(broker *b)
{
	if (b->pub_limit_timer.data == NULL)
		return;
	uv_close((uv_handle_t *) &b->pub_limit_timer, NULL);
	b->pub_limit_timer.data = NULL;
}

static void
free_entry(uint64_t key, void *val, void *arg)
{
	(void) key;
	(void) arg;
	sl_free(val);
}

void
ratelimit_publish_fini(broker *b)
{
	if (b->pub_limits == NULL)
		return;
	u64map_foreach(b->pub_limits, free_entry, NULL);
	u64map_free(b->pub_limits);
	b->pub_limits = NULL;
}

void
ratelimit_publish_pass(broker *b)
{
	b->pub_limit_pass++;
}

/* Bytes of p's messages as stored (the byte limit counts these). */
static uint64_t
message_bytes(const pending_pub *p)
{
	uint64_t n = 0;
	for (size_t i = 0; i < p->req->publish->n_messages; i++)
		n += codec_message_bytes(p->req->publish->messages[i]);
	return n;
}

int
ratelimit_publish_admit(broker *b, pending_pub *p)
{
	uint64_t mrate, brate;
	tlog_topic_publish_limit(p->topic, &mrate, &brate);
	if (mrate == 0 && brate == 0)
		return 1;
	topic_limit *tl = entry(b, p->topic, 1);
	if (tl == NULL)
		return 1; /* out of memory: let it through rather than stall */
	uint64_t now = broker_now_ms(b);
	if (!tl->started) {
		/* A new limiter starts at the rate, not with a burst. */
		tokenbucket_init(&tl->msgs, mrate, 1, now);
		tokenbucket_init(&tl->bytes, brate, 1, now);
		tl->started = 1;
	}
	if (tl->msgs.rate != mrate)
		tokenbucket_set_rate(&tl->msgs, mrate, now);
	if (tl->bytes.rate != brate)
		tokenbucket_set_rate(&tl->bytes, brate, now);

	uint64_t n = p->req->publish->n_messages, bytes = message_bytes(p);
	uint64_t wait = 0;
	if (tl->refused_pass == 0 || tl->refused_pass != b->pub_limit_pass) {
		tokenbucket_refill(&tl->msgs, now);
		tokenbucket_refill(&tl->bytes, now);
		uint64_t wm = tokenbucket_wait_ms(&tl->msgs, n, now);
		uint64_t wb = tokenbucket_wait_ms(&tl->bytes, bytes, now);
		if (wm == 0 && wb == 0) {
			tokenbucket_debit(&tl->msgs, n, now);
			tokenbucket_debit(&tl->bytes, bytes, now);
			return 1;
		}
		wait = wm > wb ? wm : wb;
		tl->refused_pass = b->pub_limit_pass;
		arm(b, now + wait);
	}
	/* else an earlier publish of the topic was refused in this pass: this
	 * one waits behind it (the timer is armed for that one). */
	if (!p->rate_held) {
		p->rate_held = 1;
		tl->rate_limited++;
		b->pub_rate_limited++;
	}
	return 0;
}

uint64_t
ratelimit_publish_limited(broker *b, const tlog_topic *t)
{
	topic_limit *tl = entry(b, t, 0);
	return tl != NULL ? tl->rate_limited : 0;
}

void
ratelimit_publish_forget(broker *b, const tlog_topic *t)
{
	if (b->pub_limits != NULL)
		sl_free(u64map_del(b->pub_limits, tlog_topic_id(t)));
}
