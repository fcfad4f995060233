/*
 * inbox.h - hands nng pipe events (a connection came or went) from nng's
 * threads to the loop thread. The nng side only locks, appends and wakes
 * the loop with uv_async_send (the only libuv call allowed off the loop);
 * the loop drains the whole queue per wakeup, since wakeups coalesce.
 */
#ifndef SL_INBOX_H
#define SL_INBOX_H

#include <stdint.h>
#include <uv.h>

typedef enum { INBOX_PIPE_ADD, INBOX_PIPE_REM } inbox_kind;

typedef struct {
	inbox_kind kind;
	uint32_t pipe_id;
} inbox_event;

typedef void (*inbox_cb)(void *arg, const inbox_event *ev);

typedef struct {
	uv_mutex_t mu;
	uv_async_t wake;
	inbox_event *events; /* guarded by mu */
	size_t count, cap;
	inbox_cb cb;
	void *arg;
} inbox;

/* Loop thread. cb runs on the loop thread for each event. */
int  inbox_init(inbox *in, uv_loop_t *loop, inbox_cb cb, void *arg);
/* Any thread. Returns 0, or -1 when out of memory (the event is lost). */
int  inbox_push(inbox *in, inbox_kind kind, uint32_t pipe_id);
/* Loop thread: closes the async handle; call inbox_fini after it closed. */
void inbox_close(inbox *in);
void inbox_fini(inbox *in);
#endif
