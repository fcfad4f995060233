/*
 * support.h - helpers for Sluice tests: a fresh temp dir per test, a free
 * loopback port, and the real sluiced started as a child process.
 */
#ifndef SL_TEST_SUPPORT_H
#define SL_TEST_SUPPORT_H

#include <stddef.h>
#include <sys/types.h>

/* Creates a fresh directory under $TMPDIR (or /tmp); returns its path. */
const char *tmpdir_make(void);
/* Criterion init/fini: make a temp dir (tmpdir_path) and remove it. */
void tmpdir_enter(void);
void tmpdir_leave(void);
const char *tmpdir_path(void);
/* Removes a directory tree. */
void rm_rf(const char *path);

/* A TCP port on 127.0.0.1 that was free a moment ago. */
int free_port(void);

typedef struct {
	pid_t pid;
	int port;
	char url[64];
	char data[512];
	char log[600];     /* the broker's stderr goes here */
} broker_proc;

/* Kills pid at the end of the test (tmpdir_leave) if it is still
 * running: for helpers a failed assertion would leave behind. Brokers
 * started here are tracked already. */
void child_track(pid_t pid);

/*
 * Starts sluiced (path from $SLUICED) with --listen on a free port,
 * --data `data`, and the extra NULL-terminated flags; waits until it
 * accepts connections. Returns 0, or -1 (with a message on stderr).
 */
int broker_start(broker_proc *bp, const char *data, const char *const *extra);
/* The same on tls+tcp://127.0.0.1 (extra gives --tls-cert and the rest). */
int broker_start_tls(broker_proc *bp, const char *data, const char *const *extra);
/* Restarts on the same port and data dir with the same flags. */
int broker_restart(broker_proc *bp);
/* SIGTERM and wait: returns the exit status, or -1 when killed by a signal
 * or not stopped within 10 s (then it is killed). */
int broker_stop(broker_proc *bp);
/* SIGKILL and reap. */
void broker_kill9(broker_proc *bp);
/* Resident set size of the broker in KiB, or -1. */
long broker_rss_kib(const broker_proc *bp);
/* Runs a command line, captures stdout into out (size n); returns the exit
 * status, or -1. stderr goes to err (may be NULL). */
int run_capture(const char *const *argv, char *out, size_t n, char *err, size_t en);
/* Reads the whole broker log into buf. */
void broker_log_read(const broker_proc *bp, char *buf, size_t n);
#endif
