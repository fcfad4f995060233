/*
 * subs.c - `sluice-admin subs list|stats|create|configure|delete|reset|
 * skip|why`: subscriptions seen, configured and moved by an operator. Each
 * command is one Admin request; this file owns their arguments and output.
 * Moving a cursor (reset, skip) is the broker's job; here only positions
 * are parsed. The policy options and their forms are policy.c's.
 */
#include <inttypes.h>
#include <stdio.h>

#include "adm.h"
#include "policy.h"
#include "request.h"
#include "units.h"

void
adm_json_sub(out_json *j, const char *key, const Sluice__SubInfo *s)
{
	out_json_obj_open(j, key);
	out_json_str(j, "topic", s->topic);
	out_json_str(j, "name", s->name);
	out_json_str(j, "type", units_sub_type_name((int) s->type));
	out_json_str(j, "mode", units_sub_mode_name((int) s->mode));
	out_json_u64(j, "window", s->window);
	out_json_u64(j, "consumers", s->consumers);
	out_json_u64(j, "backlog", s->backlog);
	out_json_u64(j, "backlog_bytes", s->backlog_bytes);
	out_json_u64(j, "unacked", s->unacked);
	out_json_u64(j, "oldest_unacked_age_ms", s->oldest_unacked_age_ms);
	out_json_u64(j, "oldest_unacked_offset", s->oldest_unacked_offset);
	out_json_u64(j, "floor", s->floor);
	out_json_u64(j, "ack_holes", s->ack_holes);
	out_json_u64(j, "head", s->head);
	out_json_f64(j, "dispatch_rate", s->dispatch_rate);
	out_json_f64(j, "ack_rate", s->ack_rate);
	out_json_u64(j, "delivered", s->delivered);
	out_json_u64(j, "acked", s->acked);
	out_json_u64(j, "redelivered", s->redelivered);
	out_json_u64(j, "dropped", s->dropped);
	out_json_u64(j, "nacked", s->nacked);
	out_json_str(j, "dispatcher", s->dispatcher);
	out_json_str(j, "stuck_reason", s->stuck_reason);
	policy_json(j, "policy", s->policy);
	policy_json_limit(j, "dispatch_limit", s->dispatch_limit);
	policy_json_breaker(j, "breaker", s->breaker);
	out_json_u64(j, "ack_timeouts", s->ack_timeouts);
	out_json_u64(j, "exhausted", s->exhausted);
	out_json_u64(j, "dead_lettered", s->dead_lettered);
	out_json_u64(j, "parked", s->parked);
	out_json_u64(j, "rate_limited", s->rate_limited);
	out_json_bool(j, "blocked", s->blocked);
	out_json_u64(j, "blocked_offset", s->blocked_offset);
	out_json_u64(j, "dropped_exhausted", s->dropped_exhausted);
	out_json_obj_close(j);
}

void
adm_print_sub(const Sluice__SubInfo *s)
{
	char bb[32];
	units_format_size(s->backlog_bytes, bb, sizeof(bb));
	out_table *k = out_kv_alloc();
	out_kv(k, "topic", "%s", s->topic);
	out_kv(k, "name", "%s", s->name);
	out_kv(k, "type", "%s", units_sub_type_name((int) s->type));
	out_kv(k, "mode", "%s", units_sub_mode_name((int) s->mode));
	out_kv(k, "dispatcher", "%s", s->dispatcher);
	out_kv(k, "window", "%" PRIu32, s->window);
	out_kv(k, "consumers", "%" PRIu32, s->consumers);
	out_kv(k, "backlog", "%" PRIu64, s->backlog);
	out_kv(k, "backlog_bytes", "%" PRIu64 " (%s, estimate)",
	    s->backlog_bytes, bb);
	out_kv(k, "unacked", "%" PRIu64, s->unacked);
	if (s->unacked > 0) {
		out_kv(k, "oldest_unacked_offset", "%" PRIu64,
		    s->oldest_unacked_offset);
		out_kv(k, "oldest_unacked_age_ms", "%" PRIu64,
		    s->oldest_unacked_age_ms);
	}
	out_kv(k, "floor", "%" PRIu64, s->floor);
	out_kv(k, "ack_holes", "%" PRIu32, s->ack_holes);
	out_kv(k, "head", "%" PRIu64, s->head);
	out_kv(k, "dispatch_rate", "%.1f msg/s", s->dispatch_rate);
	out_kv(k, "ack_rate", "%.1f msg/s", s->ack_rate);
	out_kv(k, "delivered", "%" PRIu64, s->delivered);
	out_kv(k, "acked", "%" PRIu64, s->acked);
	out_kv(k, "redelivered", "%" PRIu64, s->redelivered);
	out_kv(k, "nacked", "%" PRIu64, s->nacked);
	out_kv(k, "dropped", "%" PRIu64, s->dropped);
	out_kv(k, "stuck_reason", "%s", s->stuck_reason[0] ? s->stuck_reason
	                                                   : "-");
	policy_kv(k, s);
	out_kv(k, "ack_timeouts", "%" PRIu64, s->ack_timeouts);
	out_kv(k, "exhausted", "%" PRIu64, s->exhausted);
	out_kv(k, "dead_lettered", "%" PRIu64, s->dead_lettered);
	out_kv(k, "dropped_exhausted", "%" PRIu64, s->dropped_exhausted);
	out_kv(k, "parked", "%" PRIu64, s->parked);
	out_kv(k, "rate_limited", "%" PRIu64, s->rate_limited);
	if (s->blocked)
		out_kv(k, "blocked", "yes, at offset %" PRIu64, s->blocked_offset);
	else
		out_kv(k, "blocked", "no");
	out_table_print(k, stdout);
}

/* Arguments, then the operands' names checked: TOPIC [SUB] [...]. */
static int
args(const adm_cmd *cmd, int argc, char **argv, const adm_opt *opts,
    adm_common *co, const char **ops, int nops)
{
	int n, rv;
	if ((rv = adm_args(cmd, argc, argv, opts, co, ops, nops, nops, &n)) >= 0)
		return rv;
	if ((rv = adm_check_name(cmd, co, "topic", ops[0])) >= 0)
		return rv;
	return nops > 1 ? adm_check_name(cmd, co, "subscription", ops[1]) : -1;
}

/* {"subscription":{...}} plus "affected" when with_affected. */
static void
sub_json(const Sluice__AdminResult *r, int with_affected)
{
	out_json j;
	out_json_init(&j, stdout);
	out_json_obj_open(&j, NULL);
	adm_json_sub(&j, "subscription", r->subs[0]);
	if (with_affected)
		out_json_u64(&j, "affected", r->affected);
	out_json_obj_close(&j);
	out_json_end(&j);
}

static int
no_sub(const adm_common *co, const char *what)
{
	return adm_fail(co, what, SLUICE_EPROTO,
	    "the reply has no subscription", 0);
}

/* ---- list ------------------------------------------------------------ */

static int
list(const adm_cmd *cmd, int argc, char **argv)
{
	const char *ops[1];
	adm_common co;
	int rv;
	if ((rv = args(cmd, argc, argv, NULL, &co, ops, 1)) >= 0)
		return rv;
	Sluice__Admin rq = SLUICE__ADMIN__INIT;
	rq.op = SLUICE__ADMIN_OP__ADMIN_SUBS_LIST;
	rq.topic = (char *) ops[0];
	char what[300];
	snprintf(what, sizeof(what), "subs list %s", ops[0]);
	Sluice__AdminResult *r;
	if ((rv = adm_call(&co, what, &rq, &r)) >= 0)
		return rv;
	if (co.json) {
		out_json j;
		out_json_init(&j, stdout);
		out_json_obj_open(&j, NULL);
		out_json_arr_open(&j, "subscriptions");
		for (size_t i = 0; i < r->n_subs; i++)
			adm_json_sub(&j, NULL, r->subs[i]);
		out_json_arr_close(&j);
		out_json_obj_close(&j);
		out_json_end(&j);
	} else {
		static const char *const h[] = { "NAME", "TYPE", "MODE",
			"CONSUMERS", "BACKLOG", "UNACKED", "FLOOR", "HEAD",
			"STUCK" };
		out_table *t = out_table_alloc(9, h, "lllrrrrrl");
		for (size_t i = 0; i < r->n_subs; i++) {
			const Sluice__SubInfo *s = r->subs[i];
			out_table_cell(t, "%s", s->name);
			out_table_cell(t, "%s", units_sub_type_name((int) s->type));
			out_table_cell(t, "%s", units_sub_mode_name((int) s->mode));
			out_table_cell(t, "%" PRIu32, s->consumers);
			out_table_cell(t, "%" PRIu64, s->backlog);
			out_table_cell(t, "%" PRIu64, s->unacked);
			out_table_cell(t, "%" PRIu64, s->floor);
			out_table_cell(t, "%" PRIu64, s->head);
			out_table_cell(t, "%s",
			    s->stuck_reason[0] ? s->stuck_reason : "-");
		}
		out_table_print(t, stdout);
	}
	adm_result_free(r);
	return ADM_EXIT_OK;
}

/* ---- stats ----------------------------------------------------------- */

static int
stats(const adm_cmd *cmd, int argc, char **argv)
{
	const char *ops[2];
	adm_common co;
	int rv;
	if ((rv = args(cmd, argc, argv, NULL, &co, ops, 2)) >= 0)
		return rv;
	Sluice__Admin rq = SLUICE__ADMIN__INIT;
	rq.op = SLUICE__ADMIN_OP__ADMIN_SUB_STATS;
	rq.topic = (char *) ops[0];
	rq.subscription = (char *) ops[1];
	char what[600];
	snprintf(what, sizeof(what), "subs stats %s %s", ops[0], ops[1]);
	Sluice__AdminResult *r;
	if ((rv = adm_call(&co, what, &rq, &r)) >= 0)
		return rv;
	rv = ADM_EXIT_OK;
	if (r->n_subs == 0)
		rv = no_sub(&co, what);
	else if (co.json)
		sub_json(r, 0);
	else
		adm_print_sub(r->subs[0]);
	adm_result_free(r);
	return rv;
}

/* ---- create ---------------------------------------------------------- */

static int
position(const adm_cmd *cmd, const adm_common *co, const char *opt,
    const char *s, Sluice__Position *pos)
{
	units_pos p;
	if (units_parse_position(s, &p) != 0)
		return adm_usage(cmd, co,
		    "bad %s '%s' (earliest, latest, an offset or an RFC 3339 "
		    "time such as 2026-11-22T10:00:00Z)",
		    opt, s);
	pos->kind = (Sluice__Position__Kind) p.kind;
	pos->offset = p.offset;
	pos->time_us = p.time_us;
	return -1;
}

int
req_subs_create(const req_sub_create *a, req_storage *st, Sluice__Admin *rq,
    char *err, size_t n)
{
	int v;
	units_pos p;
	sluice__position__init(&st->pos);
	rq->op = SLUICE__ADMIN_OP__ADMIN_SUB_CREATE;
	rq->topic = (char *) a->topic;
	rq->subscription = (char *) a->sub;
	rq->position = &st->pos;
	if (a->type != NULL) {
		if (units_parse_sub_type(a->type, &v) != 0)
			return req_fail(err, n, "bad --type '%s' (exclusive, "
			    "failover, shared or key_shared)", a->type);
		rq->type = (Sluice__SubType) v;
	}
	if (a->mode != NULL) {
		if (units_parse_sub_mode(a->mode, &v) != 0)
			return req_fail(err, n, "bad --mode '%s' (reliable or "
			                        "non-reliable)", a->mode);
		rq->mode = (Sluice__SubMode) v;
	}
	if (a->from != NULL) {
		if (units_parse_position(a->from, &p) != 0)
			return req_fail(err, n, "bad --from '%s' (earliest, latest, "
			    "an offset or an RFC 3339 time such as "
			    "2026-11-22T10:00:00Z)", a->from);
		st->pos.kind = (Sluice__Position__Kind) p.kind;
		st->pos.offset = p.offset;
		st->pos.time_us = p.time_us;
	}
	if (a->window != NULL) {
		uint64_t w;
		if (units_parse_u64(a->window, &w) != 0 || w == 0 || w > 65535)
			return req_fail(err, n, "bad --window '%s' (1..65535)",
			    a->window);
		rq->window = (uint32_t) w;
	}
	return policy_build(&a->policy, &st->pb, rq, err, n);
}

void
req_sub_create_opts(req_sub_create *a, adm_opt *opts)
{
	opts[0] = (adm_opt) { "type", 1, &a->type };
	opts[1] = (adm_opt) { "mode", 1, &a->mode };
	opts[2] = (adm_opt) { "from", 1, &a->from };
	opts[3] = (adm_opt) { "window", 1, &a->window };
	policy_opts(&a->policy, opts + 4);
}

static int
create(const adm_cmd *cmd, int argc, char **argv)
{
	const char *ops[2];
	req_sub_create a = { 0 };
	adm_opt opts[REQ_SUB_CREATE_NOPTS + 1] = { { NULL, 0, NULL } };
	req_sub_create_opts(&a, opts);
	adm_common co;
	int rv;
	if ((rv = args(cmd, argc, argv, opts, &co, ops, 2)) >= 0)
		return rv;
	Sluice__Admin rq = SLUICE__ADMIN__INIT;
	req_storage st;
	char err[512];
	a.topic = ops[0];
	a.sub = ops[1];
	if (req_subs_create(&a, &st, &rq, err, sizeof(err)) != 0)
		return adm_usage(cmd, &co, "%s", err);
	char what[600];
	snprintf(what, sizeof(what), "subs create %s %s", ops[0], ops[1]);
	Sluice__AdminResult *r;
	if ((rv = adm_call(&co, what, &rq, &r)) >= 0)
		return rv;
	rv = ADM_EXIT_OK;
	if (r->n_subs == 0) {
		rv = no_sub(&co, what);
	} else if (co.json) {
		sub_json(r, 0);
	} else {
		const Sluice__SubInfo *s = r->subs[0];
		printf("created subscription %s on %s (%s, %s): floor %" PRIu64
		       ", backlog %" PRIu64 "\n",
		    ops[1], ops[0], units_sub_type_name((int) s->type),
		    units_sub_mode_name((int) s->mode), s->floor, s->backlog);
	}
	adm_result_free(r);
	return rv;
}

/* ---- configure -------------------------------------------------------- */

int
req_subs_configure(const char *topic, const char *sub, const policy_args *a,
    req_storage *st, Sluice__Admin *rq, char *err, size_t n)
{
	if (policy_given(a) == 0)
		return req_fail(err, n, "nothing to configure: give at least one "
		                        "policy option (see --help)");
	rq->op = SLUICE__ADMIN_OP__ADMIN_SUB_CONFIGURE;
	rq->topic = (char *) topic;
	rq->subscription = (char *) sub;
	return policy_build(a, &st->pb, rq, err, n);
}

static int
configure(const adm_cmd *cmd, int argc, char **argv)
{
	const char *ops[2];
	policy_args a = { 0 };
	adm_opt opts[POLICY_NOPTS + 1] = { { NULL, 0, NULL } };
	policy_opts(&a, opts);
	adm_common co;
	int rv;
	if ((rv = args(cmd, argc, argv, opts, &co, ops, 2)) >= 0)
		return rv;
	Sluice__Admin rq = SLUICE__ADMIN__INIT;
	req_storage st;
	char err[512];
	if (req_subs_configure(ops[0], ops[1], &a, &st, &rq, err, sizeof(err)) !=
	    0)
		return adm_usage(cmd, &co, "%s", err);
	char what[600];
	snprintf(what, sizeof(what), "subs configure %s %s", ops[0], ops[1]);
	Sluice__AdminResult *r;
	if ((rv = adm_call(&co, what, &rq, &r)) >= 0)
		return rv;
	rv = ADM_EXIT_OK;
	if (r->n_subs == 0) {
		rv = no_sub(&co, what);
	} else if (co.json) {
		sub_json(r, 0);
	} else {
		printf("configured subscription %s on %s:\n", ops[1], ops[0]);
		out_table *k = out_kv_alloc();
		policy_kv(k, r->subs[0]);
		out_table_print(k, stdout);
	}
	adm_result_free(r);
	return rv;
}

/* ---- delete ---------------------------------------------------------- */

static int
delete(const adm_cmd *cmd, int argc, char **argv)
{
	const char *ops[2];
	adm_common co;
	int rv;
	if ((rv = args(cmd, argc, argv, NULL, &co, ops, 2)) >= 0)
		return rv;
	Sluice__Admin rq = SLUICE__ADMIN__INIT;
	rq.op = SLUICE__ADMIN_OP__ADMIN_SUB_DELETE;
	rq.topic = (char *) ops[0];
	rq.subscription = (char *) ops[1];
	char what[600];
	snprintf(what, sizeof(what), "subs delete %s %s", ops[0], ops[1]);
	Sluice__AdminResult *r;
	if ((rv = adm_call(&co, what, &rq, &r)) >= 0)
		return rv;
	if (co.json) {
		out_json j;
		out_json_init(&j, stdout);
		out_json_obj_open(&j, NULL);
		out_json_obj_open(&j, "deleted");
		out_json_str(&j, "topic", ops[0]);
		out_json_str(&j, "subscription", ops[1]);
		out_json_u64(&j, "affected", r->affected);
		out_json_obj_close(&j);
		out_json_obj_close(&j);
		out_json_end(&j);
	} else {
		printf("deleted subscription %s on %s\n", ops[1], ops[0]);
	}
	adm_result_free(r);
	return ADM_EXIT_OK;
}

/* ---- reset and skip --------------------------------------------------- */

/* The moved subscription: one line, or its JSON with `affected`. */
static int
moved(const adm_common *co, const char *what, const Sluice__AdminResult *r,
    const char *verb, int with_affected)
{
	if (r->n_subs == 0)
		return no_sub(co, what);
	const Sluice__SubInfo *s = r->subs[0];
	if (co->json) {
		sub_json(r, with_affected);
	} else if (with_affected) {
		printf("%s %" PRIu64 " message%s of %s on %s: floor %" PRIu64
		       ", backlog %" PRIu64 "\n",
		    verb, r->affected, r->affected == 1 ? "" : "s", s->name,
		    s->topic, s->floor, s->backlog);
	} else {
		printf("%s %s on %s: floor %" PRIu64 ", backlog %" PRIu64 "\n",
		    verb, s->name, s->topic, s->floor, s->backlog);
	}
	return ADM_EXIT_OK;
}

static int
reset(const adm_cmd *cmd, int argc, char **argv)
{
	const char *to = NULL, *ops[2];
	const adm_opt opts[] = { { "to", 1, &to }, { NULL, 0, NULL } };
	adm_common co;
	int rv;
	if ((rv = args(cmd, argc, argv, opts, &co, ops, 2)) >= 0)
		return rv;
	if (to == NULL)
		return adm_usage(cmd, &co, "missing --to (earliest, latest, an "
		                           "offset or an RFC 3339 time)");
	Sluice__Admin rq = SLUICE__ADMIN__INIT;
	Sluice__Position pos = SLUICE__POSITION__INIT;
	if ((rv = position(cmd, &co, "--to", to, &pos)) >= 0)
		return rv;
	rq.op = SLUICE__ADMIN_OP__ADMIN_SUB_RESET;
	rq.topic = (char *) ops[0];
	rq.subscription = (char *) ops[1];
	rq.position = &pos;
	char what[600];
	snprintf(what, sizeof(what), "subs reset %s %s", ops[0], ops[1]);
	Sluice__AdminResult *r;
	if ((rv = adm_call(&co, what, &rq, &r)) >= 0)
		return rv;
	rv = moved(&co, what, r, "reset", 0);
	adm_result_free(r);
	return rv;
}

static int
skip(const adm_cmd *cmd, int argc, char **argv)
{
	const char *ops[3];
	adm_common co;
	int rv;
	if ((rv = args(cmd, argc, argv, NULL, &co, ops, 3)) >= 0)
		return rv;
	Sluice__Admin rq = SLUICE__ADMIN__INIT;
	rq.op = SLUICE__ADMIN_OP__ADMIN_SUB_SKIP;
	rq.topic = (char *) ops[0];
	rq.subscription = (char *) ops[1];
	if (units_parse_u64(ops[2], &rq.count) != 0 || rq.count == 0)
		return adm_usage(cmd, &co, "bad N '%s' (a count of at least 1)",
		    ops[2]);
	char what[600];
	snprintf(what, sizeof(what), "subs skip %s %s", ops[0], ops[1]);
	Sluice__AdminResult *r;
	if ((rv = adm_call(&co, what, &rq, &r)) >= 0)
		return rv;
	rv = moved(&co, what, r, "skipped", 1);
	adm_result_free(r);
	return rv;
}

/* ---- why ------------------------------------------------------------- */

static void
why_json(const Sluice__Why *w)
{
	out_json j;
	out_json_init(&j, stdout);
	out_json_obj_open(&j, NULL);
	out_json_obj_open(&j, "why");
	out_json_str(&j, "code", w->code);
	out_json_str(&j, "sentence", w->sentence);
	out_json_u64(&j, "consumer_id", w->consumer_id);
	out_json_str(&j, "consumer_name", w->consumer_name);
	out_json_u64(&j, "offset", w->offset);
	out_json_u64(&j, "age_ms", w->age_ms);
	out_json_u64(&j, "backlog", w->backlog);
	out_json_u64(&j, "consumers", w->consumers);
	out_json_obj_close(&j);
	out_json_obj_close(&j);
	out_json_end(&j);
}

static int
why(const adm_cmd *cmd, int argc, char **argv)
{
	const char *ops[2];
	adm_common co;
	int rv;
	if ((rv = args(cmd, argc, argv, NULL, &co, ops, 2)) >= 0)
		return rv;
	Sluice__Admin rq = SLUICE__ADMIN__INIT;
	rq.op = SLUICE__ADMIN_OP__ADMIN_SUB_WHY;
	rq.topic = (char *) ops[0];
	rq.subscription = (char *) ops[1];
	char what[600];
	snprintf(what, sizeof(what), "subs why %s %s", ops[0], ops[1]);
	Sluice__AdminResult *r;
	if ((rv = adm_call(&co, what, &rq, &r)) >= 0)
		return rv;
	rv = ADM_EXIT_OK;
	if (r->why == NULL) {
		rv = adm_fail(&co, what, SLUICE_EPROTO, "the reply has no why", 0);
	} else if (co.json) {
		why_json(r->why);
	} else {
		/* One line: the broker's sentence, or its code if it sent
		 * none, so scripts can grep either. */
		printf("%s\n", r->why->sentence[0] ? r->why->sentence
		                                   : r->why->code);
	}
	adm_result_free(r);
	return rv;
}

const adm_cmd adm_subs_cmds[] = {
	{ "subs", "list", "TOPIC", "the subscriptions of a topic",
	    "Lists the subscriptions of TOPIC: type, mode, consumers, backlog,\n"
	    "unacked, ack floor, head and why it is stuck (- when progressing).\n"
	    "\n"
	    "--json: {\"subscriptions\":[SUB...]}; SUB is {\"topic\",\"name\",\"type\",\n"
	    "  \"mode\",\"window\",\"consumers\",\"backlog\",\"backlog_bytes\",\n"
	    "  \"unacked\",\"oldest_unacked_age_ms\",\"oldest_unacked_offset\",\n"
	    "  \"floor\",\"ack_holes\",\"head\",\"dispatch_rate\",\"ack_rate\",\n"
	    "  \"delivered\",\"acked\",\"redelivered\",\"dropped\",\"nacked\",\n"
	    "  \"dispatcher\",\"stuck_reason\",\"policy\":POLICY,\n"
	    "  \"dispatch_limit\":{\"msgs_per_sec\",\"bytes_per_sec\"},\n"
	    "  \"breaker\":{\"failures\",\"cooldown_ms\",\"cooldown_max_ms\"},\n"
	    "  \"ack_timeouts\",\"exhausted\",\"dead_lettered\",\"parked\",\n"
	    "  \"rate_limited\",\"blocked\",\"blocked_offset\",\"dropped_exhausted\"};\n"
	    "  POLICY is {\"ack_timeout_ms\",\"backoff\",\"backoff_base_ms\",\n"
	    "  \"backoff_max_ms\",\"backoff_jitter_pct\",\"max_redeliveries\",\n"
	    "  \"on_exhausted\",\"dead_letter_topic\"}; type is exclusive,\n"
	    "  failover, shared or key_shared, mode reliable or non-reliable,\n"
	    "  backoff exponential or fixed, on_exhausted dead_letter, block, drop\n"
	    "  or park; a value the broker did not report is null\n",
	    list },
	{ "subs", "stats", "TOPIC SUB", "one subscription in detail",
	    "Shows subscription SUB of TOPIC: backlog, unacked messages and the\n"
	    "oldest of them, ack floor and holes, rates and totals, its failure\n"
	    "policy, dispatch limit and breaker, and the failure counters (ack\n"
	    "timeouts, exhausted, dead-lettered, dropped, parked, rate limited,\n"
	    "blocked).\n"
	    "\n"
	    "--json: {\"subscription\":SUB} (see `subs list --help`)\n",
	    stats },
	{ "subs", "create",
	    "TOPIC SUB [--type T] [--mode M] [--from P] [--window W] [policy "
	    "options]",
	    "create a subscription before any consumer",
	    "Creates subscription SUB of TOPIC, so that messages published from\n"
	    "now on (or from --from) wait for its first consumer. Its ack window\n"
	    "(--window, else the broker's default) and policies belong to the\n"
	    "subscription: consumers attaching later keep them.\n"
	    "\n"
	    "options:\n"
	    "      --type T   exclusive (default), failover, shared or key_shared\n"
	    "                 (same key, same consumer, in order)\n"
	    "      --mode M   reliable (default) or non-reliable\n"
	    "      --from P   earliest, latest (default), an offset, or an RFC 3339\n"
	    "                 time (the first message published at or after it),\n"
	    "                 e.g. 2026-11-22T10:00:00Z, 2026-11-22T12:00:00+02:00,\n"
	    "                 2026-11-22T10:00:00.250Z\n"
	    "      --window W unacked messages per consumer, 1..65535\n"
	    "\n"
    "policy options (each unset one keeps the broker's default):\n"
    "      --ack-timeout D           redeliver what is not acked within D\n"
    "                                (0 = off; default 30s)\n"
    "      --backoff KIND            exponential (default) or fixed\n"
    "      --backoff-base D          first redelivery delay (default 1s)\n"
    "      --backoff-max D           cap of the exponential delay (default 1m)\n"
    "      --jitter PCT              +-PCT% of each delay, 0-100 (default 0)\n"
    "      --max-redeliveries N      then the message is exhausted (0 =\n"
    "                                unlimited; default 5)\n"
    "      --on-exhausted ACTION     dead-letter (default), block, drop or park\n"
    "      --dead-letter-topic T     default <topic>.<sub>.dlq\n"
    "      --rate-msgs N             dispatch at most N messages/s (0 = no limit)\n"
    "      --rate-bytes B            dispatch at most B bytes/s, e.g. 1MiB\n"
    "      --breaker-failures K      K failures in a row open a consumer's\n"
    "                                breaker (0 = off; default 5)\n"
    "      --breaker-cooldown D      first open period (default 1s), doubling\n"
    "      --breaker-cooldown-max D  longest open period (default 1m)\n"
    "D is a duration (0, 250ms, 30s, 5m, 1h30m), B a size (4096, 1MiB).\n"
	    "\n"
	    "--json: {\"subscription\":SUB} (see `subs list --help`)\n",
	    create },
	{ "subs", "configure", "TOPIC SUB [policy options]",
	    "change a subscription's failure policy and limits",
	    "Changes the failure policy, dispatch limit or breaker of SUB of\n"
	    "TOPIC: only the options given change, the others keep their\n"
	    "value. Takes effect for the next deliveries; prints the resulting\n"
	    "policy.\n"
	    "\n"
    "policy options (give at least one):\n"
    "      --ack-timeout D           redeliver what is not acked within D\n"
    "                                (0 = off; default 30s)\n"
    "      --backoff KIND            exponential (default) or fixed\n"
    "      --backoff-base D          first redelivery delay (default 1s)\n"
    "      --backoff-max D           cap of the exponential delay (default 1m)\n"
    "      --jitter PCT              +-PCT% of each delay, 0-100 (default 0)\n"
    "      --max-redeliveries N      then the message is exhausted (0 =\n"
    "                                unlimited; default 5)\n"
    "      --on-exhausted ACTION     dead-letter (default), block, drop or park\n"
    "      --dead-letter-topic T     default <topic>.<sub>.dlq\n"
    "      --rate-msgs N             dispatch at most N messages/s (0 = no limit)\n"
    "      --rate-bytes B            dispatch at most B bytes/s, e.g. 1MiB\n"
    "      --breaker-failures K      K failures in a row open a consumer's\n"
    "                                breaker (0 = off; default 5)\n"
    "      --breaker-cooldown D      first open period (default 1s), doubling\n"
    "      --breaker-cooldown-max D  longest open period (default 1m)\n"
    "D is a duration (0, 250ms, 30s, 5m, 1h30m), B a size (4096, 1MiB).\n"
	    "\n"
	    "--json: {\"subscription\":SUB} (see `subs list --help`)\n",
	    configure },
	{ "subs", "delete", "TOPIC SUB", "delete a subscription and its cursor",
	    "Deletes subscription SUB of TOPIC with its cursor. The broker\n"
	    "refuses while consumers are attached.\n"
	    "\n"
	    "--json: {\"deleted\":{\"topic\",\"subscription\",\"affected\"}}\n",
	    delete },
	{ "subs", "reset", "TOPIC SUB --to P", "move a subscription's cursor",
	    "Moves the cursor of SUB (reliable only): everything before P counts\n"
	    "as acked, everything from P on is delivered again.\n"
	    "\n"
	    "options:\n"
	    "      --to P   earliest, latest, an offset, or an RFC 3339 time (the\n"
	    "               first message published at or after it; a time with\n"
	    "               an offset, +02:00, is converted to UTC)\n"
	    "\n"
	    "--json: {\"subscription\":SUB} (see `subs list --help`)\n",
	    reset },
	{ "subs", "skip", "TOPIC SUB N", "ack the next N messages unread",
	    "Skips the N oldest unacked messages of SUB (reliable only): they\n"
	    "count as acked and are not delivered (again).\n"
	    "\n"
	    "--json: {\"subscription\":SUB,\"affected\":N}; affected: messages\n"
	    "  actually skipped\n",
	    skip },
	{ "subs", "why", "TOPIC SUB", "why a subscription is not progressing",
	    "Explains in one line what holds SUB back: no_consumers,\n"
	    "window_full (names the consumer and the offset it holds),\n"
	    "not_draining, blocked_by_policy (on-exhausted block: the offset),\n"
	    "rate_limited (the dispatch limit), breaker_open (every consumer\n"
	    "with room has an open circuit breaker), caught_up or progressing.\n"
	    "\n"
	    "--json: {\"why\":{\"code\",\"sentence\",\"consumer_id\",\"consumer_name\",\n"
	    "  \"offset\",\"age_ms\",\"backlog\",\"consumers\"}}\n",
	    why },
	{ NULL, NULL, NULL, NULL, NULL, NULL },
};
