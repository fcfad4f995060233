/*
 * request.h - command line to sluice.Admin for the commands of issue #6
 * (subs create/configure, topics create/configure, parked list/replay/
 * drop): each builder checks the option values and fills the request, no
 * I/O, so tests/unit/admin checks the mapping without a broker. The
 * command files (subs.c, topics.c, parked.c) define them next to their
 * commands; their names and operands are checked before (adm_args).
 */
#ifndef ADM_REQUEST_H
#define ADM_REQUEST_H

#include <stddef.h>

#include "policy.h"

/* What the request's sub-messages point into; lives as long as it. */
typedef struct {
	policy_pb        pb;
	Sluice__Position pos;
	uint64_t        *offsets; /* parked replay/drop: malloc'd, see below */
} req_storage;

/* Writes the usage error (printf-style) to err and returns -1. */
int req_fail(char *err, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* `subs create TOPIC SUB` with its options as given (NULL: not given). */
typedef struct {
	const char *topic, *sub;
	const char *type, *mode, *from, *window;
	policy_args policy;
} req_sub_create;

/*
 * Each builder returns 0 with rq filled (pointing into st and the
 * arguments), or -1 with the usage error in err (n bytes).
 */
int req_subs_create(const req_sub_create *a, req_storage *st,
    Sluice__Admin *rq, char *err, size_t n);
/* The option rows of `subs create` (REQ_SUB_CREATE_NOPTS of them, no
 * terminator), their values pointing into a. */
#define REQ_SUB_CREATE_NOPTS (4 + POLICY_NOPTS)
void req_sub_create_opts(req_sub_create *a, adm_opt *opts);
/* Only the policy options given are set; none given is an error. */
int req_subs_configure(const char *topic, const char *sub,
    const policy_args *a, req_storage *st, Sluice__Admin *rq, char *err,
    size_t n);

/* `topics create NAME`: retention and rate options as given. */
typedef struct {
	const char *topic;
	const char *retention_age, *retention_bytes;
	const char *rate_msgs, *rate_bytes;
} req_topic_create;

int req_topics_create(const req_topic_create *a, req_storage *st,
    Sluice__Admin *rq, char *err, size_t n);
/* At least one of --rate-msgs and --rate-bytes. */
int req_topics_configure(const char *topic, const char *rate_msgs,
    const char *rate_bytes, req_storage *st, Sluice__Admin *rq, char *err,
    size_t n);

/* `parked list TOPIC SUB [--from OFFSET] [--count N]` (count 1..1000,
 * default 100). */
#define REQ_PARKED_DEFAULT 100
#define REQ_PARKED_MAX 1000
int req_parked_list(const char *topic, const char *sub, const char *from,
    const char *count, Sluice__Admin *rq, char *err, size_t n);
/*
 * `parked replay|drop TOPIC SUB [OFFSET...]` (op ADMIN_PARKED_REPLAY or
 * ADMIN_PARKED_DROP): the noffs offset operands (none: all) into
 * st->offsets, which the caller frees with req_storage_fini.
 */
int req_parked_offsets(Sluice__AdminOp op, const char *topic,
    const char *sub, const char *const *offs, int noffs, req_storage *st,
    Sluice__Admin *rq, char *err, size_t n);

/* Frees what a builder allocated in st (st->offsets); idempotent. */
void req_storage_fini(req_storage *st);
#endif
