/*
 * adm.h - what the command files of sluice-admin share with main.c: the
 * shape of a command, the common options, argument parsing (args.c), and
 * one admin request with its error reporting (conn.c). Each command group
 * lives in its own file (broker.c, topics.c, subs.c, consumers.c,
 * parked.c).
 */
#ifndef ADM_H
#define ADM_H

#include <stdint.h>

#include "out.h"
#include "sluice.pb-c.h"
#include "sluice/admin.h"
#include "sluice/sluice.h"
#include "../tls_opts.h"

/* Exit statuses, documented in --help and docs/admin.md. */
#define ADM_EXIT_OK 0
#define ADM_EXIT_FAIL 1        /* the broker refused, or unhealthy */
#define ADM_EXIT_USAGE 2       /* bad command line */
#define ADM_EXIT_UNREACHABLE 3 /* no broker at --url, or it went away */

/* Default of --timeout-ms: connecting, and each request. */
#define ADM_DEFAULT_TIMEOUT_MS 10000

/* Options every command takes. */
typedef struct {
	const char *url;        /* --url, default SLUICE_DEFAULT_URL */
	int         json;       /* --json */
	int         timeout_ms; /* --timeout-ms, > 0 */
	const char *token;      /* --token, else $SLUICE_TOKEN; NULL: none */
	tool_tls    tls;        /* --tls-ca, --tls-cert, --tls-key, --tls-server-name */
} adm_common;

typedef struct adm_cmd adm_cmd;

/*
 * A command: run gets argv with argv[0] the command's name and returns an
 * exit status. Its texts make `sluice-admin GROUP CMD --help`.
 */
struct adm_cmd {
	const char *group;    /* "topics" */
	const char *name;     /* "create" */
	const char *synopsis; /* operands and own options, one line */
	const char *summary;  /* one line for the group's list */
	const char *help;     /* what it does, its options, its output */
	int (*run)(const adm_cmd *cmd, int argc, char **argv);
};

/* The commands, each group in its file; NULL-name terminated. */
extern const adm_cmd adm_broker_cmds[];
extern const adm_cmd adm_topics_cmds[];
extern const adm_cmd adm_subs_cmds[];
extern const adm_cmd adm_consumers_cmds[];
extern const adm_cmd adm_parked_cmds[];
extern const adm_cmd adm_token_cmds[];

/* A command's own option: --name, with a value or a flag (value "1"). */
typedef struct {
	const char  *name;
	int          has_arg;
	const char **value; /* set when given, else left alone */
} adm_opt;

/*
 * adm_args parses argv for cmd: the common options into co (defaults
 * first), opts (terminated by a NULL name) into their values, and the
 * operands, which must number between min and max, into ops with their
 * count in *nops. Returns -1 to go on, or an exit status after printing:
 * ADM_EXIT_OK for --help, ADM_EXIT_USAGE for a usage error.
 */
int adm_args(const adm_cmd *cmd, int argc, char **argv, const adm_opt *opts,
    adm_common *co, const char **ops, int min, int max, int *nops);

/*
 * adm_usage prints "sluice-admin: GROUP CMD: <message>" and a hint on
 * stderr (and, with --json, the error object on stdout); returns
 * ADM_EXIT_USAGE.
 */
int adm_usage(const adm_cmd *cmd, const adm_common *co, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Checks a topic or subscription operand (same rule); a usage error
 * (returned) or -1 when fine. `what` is "topic" or "subscription". */
int adm_check_name(const adm_cmd *cmd, const adm_common *co,
    const char *what, const char *name);

/*
 * adm_call connects to co->url, sends rq and waits for the result. On
 * success it returns -1 with *out set (free with adm_result_free);
 * otherwise it reports the failure (see adm_fail) as `what` and returns
 * the exit status.
 */
int adm_call(const adm_common *co, const char *what, const Sluice__Admin *rq,
    Sluice__AdminResult **out);
void adm_result_free(Sluice__AdminResult *r);

/*
 * adm_fail prints "sluice-admin: <what>: <text>[: <detail>]" on stderr
 * ("<what>: <detail>: <text>" when `connecting`), and with --json
 * {"error":{"code","message","detail"}} on stdout, and returns the exit
 * status for rv: ADM_EXIT_UNREACHABLE for a refused, failed, timed out or
 * lost connection, else ADM_EXIT_FAIL.
 */
int adm_fail(const adm_common *co, const char *what, sluice_err rv,
    const char *detail, int connecting);

/* JSON members shared by several commands (topics.c, subs.c). */
void adm_json_topic(out_json *j, const char *key, const Sluice__TopicInfo *t);
/* The members of a stored message inside an open object, as `topics peek`
 * writes them: publish_time_us, event_time_us, producer_seq, key (null
 * when none), payload, properties (topics.c; m may be NULL). */
void adm_json_message_fields(out_json *j, const Sluice__StoredMessage *m);
void adm_json_sub(out_json *j, const char *key, const Sluice__SubInfo *s);
/* The key: value block of a subscription (subs.c). */
void adm_print_sub(const Sluice__SubInfo *s);
#endif
