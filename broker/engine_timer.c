/*
 * engine_timer.c - one libuv timer for all of the engine's per-message
 * timers (ack deadlines, retries after backoff, rate-limit refills, breaker
 * cool-downs): re-armed once per loop turn, from the prepare phase, to the
 * engine's earliest due time. They fire within a loop turn of their time,
 * not on the 500 ms watchdog tick.
 */
#include "broker.h"

static void
on_due(uv_timer_t *h)
{
	broker *b = h->data;
	b->engine_timer_due = UINT64_MAX;
	if (b->subs != NULL)
		subs_run_due(b->subs, uv_now(&b->loop));
}

void
engine_timer_init(broker *b)
{
	uv_timer_init(&b->loop, &b->engine_timer);
	b->engine_timer.data = b;
	b->engine_timer_due = UINT64_MAX;
}

void
engine_timer_rearm(broker *b)
{
	if (b->subs == NULL)
		return;
	uint64_t due = subs_next_due_ms(b->subs);
	if (due == b->engine_timer_due)
		return;
	b->engine_timer_due = due;
	if (due == UINT64_MAX) {
		uv_timer_stop(&b->engine_timer);
		return;
	}
	/* uv_now is the loop's cached time: the same clock the engine uses. */
	uint64_t now = uv_now(&b->loop);
	uv_timer_start(&b->engine_timer, on_due, due > now ? due - now : 0, 0);
}

void
engine_timer_close(broker *b)
{
	uv_close((uv_handle_t *) &b->engine_timer, NULL);
}
