/*
 * admin.c - the Admin request: routes the operation to its handler and
 * sends the AdminResult (or the error and its text). See admin.h.
 */
#include <string.h>

#include "admin.h"
#include "alloc.h"
#include "log.h"

struct admin_chunk {
	admin_chunk *next;
	max_align_t data[];
};

void *
admin_alloc(admin_arena *a, size_t n)
{
	admin_chunk *ch = sl_alloc(sizeof(*ch) + (n ? n : 1));
	if (ch == NULL) {
		a->failed = 1;
		return NULL;
	}
	ch->next = a->chunks;
	a->chunks = ch;
	return ch->data;
}

char *
admin_strdup(admin_arena *a, const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = admin_alloc(a, n);
	if (d != NULL)
		memcpy(d, s, n);
	return d;
}

void
admin_arena_free(admin_arena *a)
{
	while (a->chunks != NULL) {
		admin_chunk *next = a->chunks->next;
		sl_free(a->chunks);
		a->chunks = next;
	}
	for (size_t i = 0; i < a->nstored; i++)
		codec_stored_free(a->stored[i]);
	sl_free(a->stored);
	a->stored = NULL;
	a->nstored = a->capstored = 0;
	for (size_t i = 0; i < a->nparked; i++)
		codec_parked_free(a->parked[i]);
	sl_free(a->parked);
	a->parked = NULL;
	a->nparked = a->capparked = 0;
}

int
admin_keep_parked(admin_arena *a, Sluice__ParkedInfo *p)
{
	if (a->nparked == a->capparked) {
		size_t cap = a->capparked ? a->capparked * 2 : 16;
		Sluice__ParkedInfo **v = sl_realloc(a->parked, cap * sizeof(*v));
		if (v == NULL)
			return -1;
		a->parked = v;
		a->capparked = cap;
	}
	a->parked[a->nparked++] = p;
	return 0;
}

typedef sluice_err (*admin_fn)(admin_call *c);

static const admin_fn handlers[] = {
	[SLUICE__ADMIN_OP__ADMIN_BROKER_HEALTH] = admin_broker_health,
	[SLUICE__ADMIN_OP__ADMIN_BROKER_STATS] = admin_broker_stats,
	[SLUICE__ADMIN_OP__ADMIN_TOPICS_LIST] = admin_topics_list,
	[SLUICE__ADMIN_OP__ADMIN_TOPIC_CREATE] = admin_topic_create,
	[SLUICE__ADMIN_OP__ADMIN_TOPIC_DELETE] = admin_topic_delete,
	[SLUICE__ADMIN_OP__ADMIN_TOPIC_STATS] = admin_topic_stats,
	[SLUICE__ADMIN_OP__ADMIN_TOPIC_PEEK] = admin_topic_peek,
	[SLUICE__ADMIN_OP__ADMIN_SUBS_LIST] = admin_subs_list,
	[SLUICE__ADMIN_OP__ADMIN_SUB_STATS] = admin_sub_stats,
	[SLUICE__ADMIN_OP__ADMIN_SUB_CREATE] = admin_sub_create,
	[SLUICE__ADMIN_OP__ADMIN_SUB_DELETE] = admin_sub_delete,
	[SLUICE__ADMIN_OP__ADMIN_SUB_RESET] = admin_sub_reset,
	[SLUICE__ADMIN_OP__ADMIN_SUB_SKIP] = admin_sub_skip,
	[SLUICE__ADMIN_OP__ADMIN_CONSUMERS_LIST] = admin_consumers_list,
	[SLUICE__ADMIN_OP__ADMIN_SUB_WHY] = admin_sub_why,
	[SLUICE__ADMIN_OP__ADMIN_TOPIC_CONFIGURE] = admin_topic_configure,
	[SLUICE__ADMIN_OP__ADMIN_SUB_CONFIGURE] = admin_sub_configure,
	[SLUICE__ADMIN_OP__ADMIN_PARKED_LIST] = admin_parked_list,
	[SLUICE__ADMIN_OP__ADMIN_PARKED_REPLAY] = admin_parked_replay,
	[SLUICE__ADMIN_OP__ADMIN_PARKED_DROP] = admin_parked_drop,
	[SLUICE__ADMIN_OP__ADMIN_TOKEN_CREATE] = admin_token_create,
};

void
handle_admin(broker *b, session *s, const reply_to *to, Sluice__Request *req)
{
	(void) s;
	const Sluice__Admin *a = req->admin;
	Sluice__AdminResult res = SLUICE__ADMIN_RESULT__INIT;
	admin_arena arena = { 0 };
	char detail[512] = "";
	admin_call c = { b, a, &res, &arena, detail, sizeof(detail) };
	sluice_err rv;

	if ((unsigned) a->op >= sizeof(handlers) / sizeof(handlers[0]) ||
	    handlers[a->op] == NULL) {
		rv = SLUICE_EINVAL;
		snprintf(detail, sizeof(detail), "unknown admin operation %d", (int) a->op);
	} else {
		rv = handlers[a->op](&c);
		if (rv == SLUICE_OK && arena.failed)
			rv = SLUICE_ENOMEM;
	}
	if (rv == SLUICE_OK) {
		Sluice__Reply r = SLUICE__REPLY__INIT;
		r.body_case = SLUICE__REPLY__BODY_ADMIN;
		r.admin = &res;
		reply_send(b, to, &r);
	} else {
		reply_error(b, to, rv, detail[0] != '\0' ? detail : NULL);
	}
	admin_arena_free(&arena);
	codec_request_free(req);
}
