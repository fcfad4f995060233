/*
 * harness.h - the broker's request path without a socket, for the fuzz
 * target (fuzz_request.c, libFuzzer) and the regression replayer
 * (replay.c, every build). One process holds one broker: a real engine on
 * a temporary RocksDB directory, a raw rep0 socket that is never listened
 * on (replies go through reply.c and sockio.c and nng drops them: their
 * pipe does not exist), and no timers.
 *
 * An input is one or more request frames separated by FUZZ_SEP (an input
 * without it is one frame: any encoded Request). Each input is one
 * connection: a new session, already past its Hello, that goes away (as
 * on a disconnect) after its last frame. In Fetch, Ack and Unsubscribe, a
 * consumer_id below 16 names the session's own consumers in attach order
 * (the harness rewrites it to the engine's id and re-encodes the frame),
 * so an input can subscribe and then fetch and ack. Every FUZZ_RESET_EVERY
 * inputs the broker starts afresh, so a long run's memory stays bounded.
 *
 * An input that starts with FUZZ_AUTH runs with authentication on: its
 * session starts before its Hello, which must carry a token signed with
 * FUZZ_SECRET for a principal of the harness's ACL (gen_corpus.c makes
 * such seeds), and every request is checked against that ACL. The limits
 * against abuse are on, and small, for every input.
 */
#ifndef SL_FUZZ_HARNESS_H
#define SL_FUZZ_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#define FUZZ_SEP "#SLF#"
#define FUZZ_SEP_LEN 5
#define FUZZ_MAX_FRAMES 64
#define FUZZ_AUTH "#SLA#"
#define FUZZ_AUTH_LEN 5
/* The token secret of the harness's broker; its ACL: principal "fuzz" may
 * produce and consume t*, and administer t3; "root" may administer *. */
#define FUZZ_SECRET "sluice-fuzz-secret-0123456789"
/* Inputs between two fresh brokers (a new temporary directory). */
#define FUZZ_RESET_EVERY 4096

/* Opens the broker once per process; 0, or -1 with a message on stderr. */
int  fuzz_harness_init(void);
/* Runs one input (never fails: a crash or a sanitizer report is the bug). */
void fuzz_harness_run(const uint8_t *data, size_t len);
/* Closes everything and removes the temporary directory. */
void fuzz_harness_fini(void);
#endif
