/*
 * parked.c - `sluice-admin parked list|replay|drop TOPIC SUB`: the
 * messages a subscription with `--on-exhausted park` has set aside after
 * they failed too often. Listing shows them with their last failure;
 * replay hands them to the consumers again (attempts start over), drop
 * discards them for good. Keeping and replaying them is the broker's job.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adm.h"
#include "request.h"
#include "units.h"

/* Payload bytes shown in the table; --json shows them all. */
#define PREVIEW_BYTES 48

/* Operands: TOPIC SUB, then at most this many offsets. */
#define MAX_OFFSETS 100000

int
req_parked_list(const char *topic, const char *sub, const char *from,
    const char *count, Sluice__Admin *rq, char *err, size_t n)
{
	rq->op = SLUICE__ADMIN_OP__ADMIN_PARKED_LIST;
	rq->topic = (char *) topic;
	rq->subscription = (char *) sub;
	rq->count = REQ_PARKED_DEFAULT;
	if (from != NULL) {
		if (units_parse_u64(from, &rq->from_offset) != 0)
			return req_fail(err, n, "bad --from '%s' (an offset)", from);
		rq->has_from = 1;
	}
	if (count != NULL && (units_parse_u64(count, &rq->count) != 0 ||
	                         rq->count == 0 || rq->count > REQ_PARKED_MAX))
		return req_fail(err, n, "bad --count '%s' (1-%d)", count,
		    REQ_PARKED_MAX);
	return 0;
}

int
req_parked_offsets(Sluice__AdminOp op, const char *topic, const char *sub,
    const char *const *offs, int noffs, req_storage *st, Sluice__Admin *rq,
    char *err, size_t n)
{
	st->offsets = NULL;
	if (noffs > MAX_OFFSETS)
		return req_fail(err, n, "too many offsets (at most %d a call)",
		    MAX_OFFSETS);
	if (noffs > 0 &&
	    (st->offsets = malloc((size_t) noffs * sizeof(uint64_t))) == NULL)
		return req_fail(err, n, "out of memory");
	for (int i = 0; i < noffs; i++) {
		if (units_parse_u64(offs[i], &st->offsets[i]) != 0) {
			req_storage_fini(st);
			return req_fail(err, n, "bad OFFSET '%s' (an offset)", offs[i]);
		}
	}
	rq->op = op;
	rq->topic = (char *) topic;
	rq->subscription = (char *) sub;
	rq->n_offsets = (size_t) noffs;
	rq->offsets = st->offsets;
	return 0;
}

void
req_storage_fini(req_storage *st)
{
	free(st->offsets);
	st->offsets = NULL;
}

/* ---- list ------------------------------------------------------------ */

static void
list_json(const Sluice__AdminResult *r)
{
	out_json j;
	out_json_init(&j, stdout);
	out_json_obj_open(&j, NULL);
	out_json_arr_open(&j, "parked");
	for (size_t i = 0; i < r->n_parked; i++) {
		const Sluice__ParkedInfo *p = r->parked[i];
		out_json_obj_open(&j, NULL);
		out_json_u64(&j, "offset", p->offset);
		out_json_u64(&j, "attempts", p->attempts);
		out_json_str(&j, "reason", p->reason);
		out_json_i64(&j, "parked_us", p->parked_us);
		out_json_obj_open(&j, "message");
		adm_json_message_fields(&j, p->message);
		out_json_obj_close(&j);
		out_json_obj_close(&j);
	}
	out_json_arr_close(&j);
	out_json_obj_close(&j);
	out_json_end(&j);
}

static void
list_text(const Sluice__AdminResult *r)
{
	static const char *const h[] = { "OFFSET", "ATTEMPTS", "PARKED",
		"REASON", "PAYLOAD" };
	out_table *t = out_table_alloc(5, h, "rrlll");
	for (size_t i = 0; i < r->n_parked; i++) {
		const Sluice__ParkedInfo *p = r->parked[i];
		const Sluice__StoredMessage *m = p->message;
		size_t len = m != NULL ? m->payload.len : 0;
		char when[64];
		units_format_rfc3339(p->parked_us, 3, when, sizeof(when));
		char *reason = out_text(p->reason, strlen(p->reason));
		char *payload = out_text(m != NULL ? m->payload.data : NULL,
		    len < PREVIEW_BYTES ? len : PREVIEW_BYTES);
		out_table_cell(t, "%" PRIu64, p->offset);
		out_table_cell(t, "%" PRIu32, p->attempts);
		out_table_cell(t, "%s", when);
		out_table_cell(t, "%s", reason && reason[0] ? reason : "-");
		out_table_cell(t, "%s%s", payload ? payload : "",
		    len > PREVIEW_BYTES ? "..." : "");
		free(reason);
		free(payload);
	}
	out_table_print(t, stdout);
}

static int
list(const adm_cmd *cmd, int argc, char **argv)
{
	const char *from = NULL, *count = NULL, *ops[2];
	const adm_opt opts[] = { { "from", 1, &from }, { "count", 1, &count },
		{ NULL, 0, NULL } };
	adm_common co;
	int n, rv;
	if ((rv = adm_args(cmd, argc, argv, opts, &co, ops, 2, 2, &n)) >= 0 ||
	    (rv = adm_check_name(cmd, &co, "topic", ops[0])) >= 0 ||
	    (rv = adm_check_name(cmd, &co, "subscription", ops[1])) >= 0)
		return rv;
	Sluice__Admin rq = SLUICE__ADMIN__INIT;
	char err[512];
	if (req_parked_list(ops[0], ops[1], from, count, &rq, err, sizeof(err)) !=
	    0)
		return adm_usage(cmd, &co, "%s", err);
	char what[600];
	snprintf(what, sizeof(what), "parked list %s %s", ops[0], ops[1]);
	Sluice__AdminResult *r;
	if ((rv = adm_call(&co, what, &rq, &r)) >= 0)
		return rv;
	if (co.json)
		list_json(r);
	else
		list_text(r);
	adm_result_free(r);
	return ADM_EXIT_OK;
}

/* ---- replay and drop -------------------------------------------------- */

/* replay and drop: TOPIC SUB [OFFSET...]; `verb` names the result. */
static int
offsets_cmd(const adm_cmd *cmd, int argc, char **argv, Sluice__AdminOp op,
    const char *verb)
{
	const char **ops = malloc((size_t) (argc > 2 ? argc : 2) * sizeof(*ops));
	adm_common co;
	int n = 0, rv;
	if (ops == NULL) {
		fprintf(stderr, "sluice-admin: %s %s: out of memory\n", cmd->group,
		    cmd->name);
		return ADM_EXIT_FAIL;
	}
	if ((rv = adm_args(cmd, argc, argv, NULL, &co, ops, 2, argc, &n)) >= 0 ||
	    (rv = adm_check_name(cmd, &co, "topic", ops[0])) >= 0 ||
	    (rv = adm_check_name(cmd, &co, "subscription", ops[1])) >= 0) {
		free(ops);
		return rv;
	}
	Sluice__Admin rq = SLUICE__ADMIN__INIT;
	req_storage st;
	char err[512], what[600];
	if (req_parked_offsets(op, ops[0], ops[1], ops + 2, n - 2, &st, &rq, err,
	        sizeof(err)) != 0) {
		rv = adm_usage(cmd, &co, "%s", err);
		free(ops);
		return rv;
	}
	snprintf(what, sizeof(what), "parked %s %s %s", cmd->name, ops[0], ops[1]);
	Sluice__AdminResult *r;
	if ((rv = adm_call(&co, what, &rq, &r)) < 0) {
		if (co.json) {
			out_json j;
			out_json_init(&j, stdout);
			out_json_obj_open(&j, NULL);
			out_json_obj_open(&j, verb);
			out_json_str(&j, "topic", ops[0]);
			out_json_str(&j, "subscription", ops[1]);
			out_json_u64(&j, "affected", r->affected);
			out_json_obj_close(&j);
			out_json_obj_close(&j);
			out_json_end(&j);
		} else {
			printf("%s %" PRIu64 " parked message%s of %s on %s\n", verb,
			    r->affected, r->affected == 1 ? "" : "s", ops[1], ops[0]);
		}
		adm_result_free(r);
		rv = ADM_EXIT_OK;
	}
	req_storage_fini(&st);
	free(ops);
	return rv;
}

static int
replay(const adm_cmd *cmd, int argc, char **argv)
{
	return offsets_cmd(cmd, argc, argv, SLUICE__ADMIN_OP__ADMIN_PARKED_REPLAY,
	    "replayed");
}

static int
drop(const adm_cmd *cmd, int argc, char **argv)
{
	return offsets_cmd(cmd, argc, argv, SLUICE__ADMIN_OP__ADMIN_PARKED_DROP,
	    "dropped");
}

const adm_cmd adm_parked_cmds[] = {
	{ "parked", "list", "TOPIC SUB [--from OFFSET] [--count N]",
	    "messages set aside after too many failures",
	    "Lists the parked messages of subscription SUB of TOPIC (those that\n"
	    "failed max_redeliveries times under --on-exhausted park), oldest\n"
	    "offset first: offset, delivery attempts, when it was parked (UTC),\n"
	    "the last failure (a nack reason or \"ack timeout\") and the start\n"
	    "of the payload.\n"
	    "\n"
	    "options:\n"
	    "      --from OFFSET  first offset to show\n"
	    "      --count N      messages to show, 1-1000 (default 100)\n"
	    "\n"
	    "In REASON and PAYLOAD a backslash is \\\\, tab \\t, newline \\n, CR \\r,\n"
	    "other bytes outside printable ASCII \\xHH; PAYLOAD shows 48 bytes.\n"
	    "--json: {\"parked\":[{\"offset\",\"attempts\",\"reason\",\"parked_us\",\n"
	    "  \"message\":{\"publish_time_us\",\"event_time_us\",\"producer_seq\",\n"
	    "  \"key\" (null when none),\"payload\",\"properties\":{}}}]}; the\n"
	    "  message as `topics peek --json` writes it\n",
	    list },
	{ "parked", "replay", "TOPIC SUB [OFFSET...]",
	    "deliver parked messages again",
	    "Hands the parked messages at OFFSET... (none: all of them) back to\n"
	    "the consumers of SUB, their attempt count started over.\n"
	    "Offsets that are not parked are ignored. Prints how many were\n"
	    "replayed.\n"
	    "\n"
	    "--json: {\"replayed\":{\"topic\",\"subscription\",\"affected\"}}\n",
	    replay },
	{ "parked", "drop", "TOPIC SUB [OFFSET...]",
	    "discard parked messages (acks them)",
	    "Discards the parked messages at OFFSET... (none: all of them): they\n"
	    "count as acked and are not delivered again. Asks no confirmation\n"
	    "(scripts use it). Prints how many were dropped.\n"
	    "\n"
	    "--json: {\"dropped\":{\"topic\",\"subscription\",\"affected\"}}\n",
	    drop },
	{ NULL, NULL, NULL, NULL, NULL, NULL },
};
