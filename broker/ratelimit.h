/*
 * ratelimit.h - per-topic publish rate limits (TopicMeta.publish_limit),
 * enforced by delaying publish acks: a publish the topic's token buckets
 * cannot pay for now waits in the held list (commit.c), in order behind
 * the topic's other held publishes, and a libuv timer retries it when the
 * buckets have refilled. Nothing is refused or dropped for the limit; the
 * producer's window and the held acks slow it down. Loop thread only.
 */
#ifndef SL_BROKER_RATELIMIT_H
#define SL_BROKER_RATELIMIT_H

#include "broker.h"

/* Sets up the timer (start_handles) / closes it (shutdown) / frees the
 * per-topic state after the loop has stopped. */
void ratelimit_publish_start(broker *b);
void ratelimit_publish_stop(broker *b);
void ratelimit_publish_fini(broker *b);

/*
 * ratelimit_publish_admit: whether p may be committed now. Takes its
 * messages and bytes from the topic's buckets and returns 1, or returns 0
 * (taking nothing) when it must wait: then p is counted as rate limited
 * (once) and the timer is armed for the refill. Within one
 * commit_retry_held pass (ratelimit_publish_pass), once a topic refused a
 * publish it refuses the later ones too, keeping their order.
 */
int  ratelimit_publish_admit(broker *b, pending_pub *p);
void ratelimit_publish_pass(broker *b);

/* Publishes to t delayed by its limit since the broker started. */
uint64_t ratelimit_publish_limited(broker *b, const tlog_topic *t);
/* t is being deleted: forget its state. */
void ratelimit_publish_forget(broker *b, const tlog_topic *t);
#endif
