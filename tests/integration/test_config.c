/*
 * test_config.c - the real sluiced with a config file (--config): settings
 * from the file apply and flags override them, --print-config round-trips,
 * bad files are refused with FILE:LINE: and the key, topic policies and
 * subscription defaults apply, and --log-format json writes JSON lines
 * with lifecycle events.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "raw.h"
#include "support.h"

TestSuite(config, .init = tmpdir_enter, .fini = tmpdir_leave, .timeout = 60);

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f, "cannot write %s", path);
	fputs(text, f);
	fclose(f);
}

static void
path_in_tmp(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/%s", tmpdir_path(), name);
}

static int
exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* Runs sluiced with argv[1..] (argv[0] is filled in); stdout into out. */
static int
sluiced(const char **argv, char *out, size_t n, char *err, size_t en)
{
	argv[0] = getenv("SLUICED");
	cr_assert_not_null(argv[0], "SLUICED is not set");
	return run_capture(argv, out, n, err, en);
}

/* Whether something accepts connections at url (a broker is running). */
static int
reachable(const char *url)
{
	raw_conn c;
	if (raw_open(&c, url) != 0)
		return 0;
	raw_close(&c);
	return 1;
}

/* Starts sluiced with only the flags given (no --listen/--data added) and
 * waits until url answers; returns the pid. stderr goes to log. */
static pid_t
spawn_bare(const char *const *args, const char *url, const char *log)
{
	const char *argv[16] = { getenv("SLUICED") };
	int n = 1;
	for (; args[n - 1] != NULL && n < 15; n++)
		argv[n] = args[n - 1];
	argv[n] = NULL;
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		dup2(fd, 2);
		dup2(fd, 1);
		execv(argv[0], (char *const *) argv);
		_exit(127);
	}
	for (int i = 0; i < 500; i++) {
		if (reachable(url))
			return pid;
		int st;
		cr_assert_neq(waitpid(pid, &st, WNOHANG), pid, "sluiced exited at start");
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	cr_assert_fail("sluiced did not listen on %s", url);
	return -1;
}

static int
stop_pid(pid_t pid)
{
	int st;
	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

Test(config, settings_from_the_file_apply_and_flags_override_them)
{
	char cfg[600], data[600], log[600], text[2048], url[64], out[8192];
	path_in_tmp(cfg, sizeof(cfg), "sluice.yaml");
	path_in_tmp(data, sizeof(data), "data");
	path_in_tmp(log, sizeof(log), "bare.log");
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", free_port());
	snprintf(text, sizeof(text),
	    "# a comment\n"
	    "metrics_listen: \"off\"\n"
	    "listen: %s\n"
	    "data: '%s'\n"
	    "fsync: never\n"
	    "max_outstanding: 8\n"
	    "log_level: debug\n",
	    url, data);
	write_file(cfg, text);

	/* The listen URL and data directory come from the file alone. */
	const char *args[] = { "--config", cfg, NULL };
	pid_t pid = spawn_bare(args, url, log);
	raw_conn c;
	uint64_t base = 1;
	cr_assert_eq(raw_open(&c, url), 0);
	cr_assert_eq(raw_hello(&c, SLUICE_PROTOCOL_VERSION), SLUICE_OK);
	cr_assert_eq(raw_publish(&c, "from.file", 2, "m", &base), SLUICE_OK);
	cr_assert_eq(base, 0);
	raw_close(&c);
	cr_assert_eq(stop_pid(pid), 0);
	char current[700];
	snprintf(current, sizeof(current), "%s/CURRENT", data);
	cr_assert(exists(current), "no RocksDB in %s", data);

	/* Flags win: broker_start passes --listen and --data of its own. */
	broker_proc bp;
	char data2[600];
	path_in_tmp(data2, sizeof(data2), "data2");
	const char *extra[] = { "--config", cfg, NULL };
	cr_assert_eq(broker_start(&bp, data2, extra), 0);
	cr_assert(!reachable(url), "the file's listen URL was used despite --listen");
	cr_assert_eq(broker_stop(&bp), 0);

	/* And in the effective configuration, before or after --config. */
	const char *argv[] = { NULL, "--max-outstanding", "5", "--config", cfg,
		"--print-config", NULL };
	cr_assert_eq(sluiced(argv, out, sizeof(out), NULL, 0), 0);
	cr_assert(strstr(out, "max_outstanding: 5\n") != NULL, "%s", out);
	cr_assert(strstr(out, "fsync: never\n") != NULL, "%s", out);
	cr_assert(strstr(out, "log_level: debug\n") != NULL, "%s", out);
	char want[128];
	snprintf(want, sizeof(want), "listen: \"%s\"\n", url);
	cr_assert(strstr(out, want) != NULL, "%s", out);
}

static const char rich[] =
    "listen: tcp://127.0.0.1:7650\n"
    "data: \"./odd \\\"dir\\\" name\"\n"
    "fsync: always\n"
    "fsync_interval_ms: 2s\n"
    "max_message_bytes: 1MiB\n"
    "max_pending_bytes: 100000\n"
    "retention_check_ms: 250\n"
    "auto_create_topics: off\n"
    "cursor_flush_ms: 1m\n"
    "watchdog_ms: 100\n"
    "consumer_lease_ms: 1h\n"
    "log_level: warn\n"
    "log_format: json\n"
    "metrics_listen: http://0.0.0.0:9999\n"
    "metrics_max_consumers: 7\n"
    "topics:\n"
    "  defaults: { retention_age: 7d, retention_bytes: 10GiB }\n"
    "  policies:\n"
    "    - match: \"orders.*\"\n"
    "      retention_age: 1d\n"
    "      retention_bytes: 1GiB\n"
    "    - match: audit\n"
    "      retention_age: 90m\n"
    "    - match: \"*\"\n"
    "      retention_bytes: 1500\n"
    "subscriptions:\n"
    "  defaults: { window: 50, overflow: drop_oldest, queue_size: 200 }\n";

Test(config, print_config_output_is_a_config_file_that_prints_the_same)
{
	char f1[600], f2[600], out1[16384], out2[16384];
	path_in_tmp(f1, sizeof(f1), "one.yaml");
	path_in_tmp(f2, sizeof(f2), "two.yaml");
	write_file(f1, rich);
	const char *a1[] = { NULL, "--config", f1, "--print-config", NULL };
	cr_assert_eq(sluiced(a1, out1, sizeof(out1), NULL, 0), 0);
	write_file(f2, out1);
	const char *a2[] = { NULL, "--config", f2, "--print-config", NULL };
	cr_assert_eq(sluiced(a2, out2, sizeof(out2), NULL, 0), 0);
	cr_assert_str_eq(out1, out2);
	/* Units survive, and a policy's missing keys come from the defaults. */
	cr_assert(strstr(out1, "max_message_bytes: 1MiB\n") != NULL, "%s", out1);
	cr_assert(strstr(out1, "fsync_interval_ms: 2000\n") != NULL, "%s", out1);
	cr_assert(strstr(out1, "auto_create_topics: false\n") != NULL, "%s", out1);
	cr_assert(strstr(out1, "    - match: \"audit\"\n      retention_age: 90m\n"
	                       "      retention_bytes: 10GiB\n") != NULL, "%s", out1);
	cr_assert(strstr(out1, "    - match: \"*\"\n      retention_age: 7d\n"
	                       "      retention_bytes: 1500\n") != NULL, "%s", out1);
	cr_assert(strstr(out1, "    overflow: drop_oldest\n") != NULL, "%s", out1);
	cr_assert(strstr(out1, "metrics_max_consumers: 7\n") != NULL, "%s", out1);

	/* The built-in defaults round-trip too. */
	const char *a3[] = { NULL, "--print-config", NULL };
	cr_assert_eq(sluiced(a3, out1, sizeof(out1), NULL, 0), 0);
	cr_assert(strstr(out1, "metrics_listen: \"http://127.0.0.1:9650\"\n") != NULL,
	    "%s", out1);
	cr_assert(strstr(out1, "metrics_max_consumers: 100\n") != NULL, "%s", out1);
	write_file(f2, out1);
	cr_assert_eq(sluiced(a2, out2, sizeof(out2), NULL, 0), 0);
	cr_assert_str_eq(out1, out2);
}

/* The repository's sluice.example.yaml, found from this file's name as
 * compiled (relative to the build root, two levels above sluiced). */
static void
example_path(char *buf, size_t n)
{
	const char *me = __FILE__, *tail = strstr(me, "tests/integration/");
	char root[512] = "";
	cr_assert_not_null(tail, "%s", me);
	if (me[0] != '/') {
		snprintf(root, sizeof(root), "%s", getenv("SLUICED"));
		for (int i = 0; i < 2; i++) {
			char *slash = strrchr(root, '/');
			cr_assert_not_null(slash, "SLUICED is not an absolute path");
			*slash = '\0';
		}
		strcat(root, "/");
	}
	snprintf(buf, n, "%s%.*ssluice.example.yaml", root, (int) (tail - me), me);
	cr_assert(exists(buf), "no %s", buf);
}

Test(config, the_example_file_is_valid)
{
	char path[1024], out[16384];
	example_path(path, sizeof(path));
	const char *argv[] = { NULL, "--config", path, "--print-config", NULL };
	cr_assert_eq(sluiced(argv, out, sizeof(out), NULL, 0), 0, "%s", out);
	cr_assert(strstr(out, "    - match: \"orders.*\"\n") != NULL, "%s", out);
}

typedef struct {
	const char *text;
	int line;
	const char *reason; /* a piece of the message: the key and why */
} bad_file;

static const bad_file bad_files[] = {
	{ "listen: tcp://127.0.0.1:7650\nlisen: x\n", 2, "unknown key 'lisen'" },
	{ "fsync: never\nlisten: [a, b]\n", 2, "listen: expected a value, got a list" },
	{ "topics: 5\n", 1, "topics: expected a mapping, got a value" },
	{ "\n\nfsync: sometimes\n", 3, "fsync: 'sometimes' is not never, interval or always" },
	{ "max_outstanding: 1000\n", 1, "max_outstanding: '1000' is not a number in 1..60" },
	{ "watchdog_ms: 5x\n", 1, "watchdog_ms: '5x' is not a duration" },
	{ "auto_create_topics: maybe\n", 1, "auto_create_topics: 'maybe' is not true or false" },
	{ "log_format: xml\n", 1, "log_format: 'xml' is not text or json" },
	{ "topics:\n  defaults:\n    retention_bytes: 10GB\n", 3,
	    "topics.defaults.retention_bytes: '10GB' is not a size" },
	{ "topics:\n  defaults:\n    retention_age: 3600\n", 3,
	    "topics.defaults.retention_age: '3600' is not a duration" },
	{ "topics:\n  policies:\n    - retention_age: 1d\n", 3,
	    "topics.policies[0]: match is required" },
	{ "topics:\n  policies:\n    - match: \"a*b\"\n", 3,
	    "topics.policies[0].match: 'a*b' is not a topic name" },
	{ "topics:\n  policies:\n    - match: x\n      keep: 1d\n", 4,
	    "unknown key 'topics.policies[0].keep'" },
	{ "subscriptions:\n  defaults:\n    window: 0\n", 3,
	    "subscriptions.defaults.window: '0' is not a number in 1..65535" },
	{ "subscriptions:\n  defaults:\n    overflow: drop_all\n", 3,
	    "subscriptions.defaults.overflow: 'drop_all' is not drop_newest" },
	{ "fsync: never\nfsync: always\n", 2, "fsync: duplicate key (first at line 1)" },
	{ "data:\n", 1, "data: a value is required" },
	{ "listen: [unclosed\nfsync: never\n", 2, "YAML syntax error" },
	{ "fsync: never\n  bad indent: 1\n", 2, "YAML syntax error" },
	{ "- a\n- b\n", 1, "the file must be a mapping" },
	{ "fsync: never\n---\nfsync: always\n", 3, "a second YAML document" },
};

Test(config, invalid_files_exit_2_naming_file_line_and_key_and_no_broker_runs)
{
	char cfg[600], data[600], url[64], err[4096], want[800];
	path_in_tmp(cfg, sizeof(cfg), "bad.yaml");
	path_in_tmp(data, sizeof(data), "data");
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", free_port());
	for (size_t i = 0; i < sizeof(bad_files) / sizeof(bad_files[0]); i++) {
		const bad_file *b = &bad_files[i];
		write_file(cfg, b->text);
		const char *argv[] = { NULL, "--config", cfg, "--listen", url, "--data",
			data, NULL };
		int rv = sluiced(argv, NULL, 0, err, sizeof(err));
		cr_assert_eq(rv, 2, "file %zu: exit %d, stderr: %s", i, rv, err);
		snprintf(want, sizeof(want), "sluiced: %s:%d: ", cfg, b->line);
		cr_assert(strncmp(err, want, strlen(want)) == 0,
		    "file %zu: want '%s...', got: %s", i, want, err);
		cr_assert(strstr(err, b->reason) != NULL, "file %zu: want '%s' in: %s", i,
		    b->reason, err);
		cr_assert(strchr(err, '\n') == err + strlen(err) - 1,
		    "file %zu: one line expected: %s", i, err);
		cr_assert(!exists(data), "file %zu: the broker started (data dir made)", i);
	}

	/* A missing file too. */
	char missing[600];
	path_in_tmp(missing, sizeof(missing), "nope.yaml");
	const char *argv[] = { NULL, "--config", missing, "--data", data, NULL };
	cr_assert_eq(sluiced(argv, NULL, 0, err, sizeof(err)), 2, "%s", err);
	snprintf(want, sizeof(want), "sluiced: %s:0: cannot open", missing);
	cr_assert(strstr(err, want) != NULL, "%s", err);
	cr_assert(!exists(data));
}

/* Fetches from a new reliable subscription starting at the earliest
 * offset: the first offset the topic still holds. */
static uint64_t
first_kept(raw_conn *c, const char *topic, const char *sub)
{
	uint64_t id;
	Sluice__Reply *r = NULL;
	cr_assert_eq(raw_subscribe(c, topic, sub, SLUICE__SUB_TYPE__SUB_EXCLUSIVE,
	                 SLUICE__SUB_MODE__MODE_RELIABLE, 10,
	                 SLUICE__START_AT__START_EARLIEST, &id),
	    SLUICE_OK);
	cr_assert_eq(raw_fetch(c, id, 1, 1000, NULL, 0, &r), 0);
	cr_assert_not_null(r->deliver);
	cr_assert_eq(r->deliver->n_records, 1);
	uint64_t off = r->deliver->records[0]->offset;
	codec_reply_free(r);
	return off;
}

Test(config, a_topic_policy_sets_the_retention_of_an_auto_created_topic)
{
	char cfg[600], data[600], log[1 << 16];
	path_in_tmp(cfg, sizeof(cfg), "policy.yaml");
	path_in_tmp(data, sizeof(data), "data");
	write_file(cfg, "retention_check_ms: 20\n"
	                "metrics_listen: \"off\"\n"
	                "topics:\n"
	                "  policies:\n"
	                "    - match: \"small.*\"\n"
	                "      retention_bytes: 1KiB\n");
	broker_proc bp;
	const char *extra[] = { "--config", cfg, NULL };
	cr_assert_eq(broker_start(&bp, data, extra), 0);
	raw_conn c;
	uint64_t base;
	cr_assert_eq(raw_open(&c, bp.url), 0);
	cr_assert_eq(raw_hello(&c, SLUICE_PROTOCOL_VERSION), SLUICE_OK);
	char payload[101];
	memset(payload, 'x', 100);
	payload[100] = '\0';
	/* 10 KB each: the policy keeps about 1 KiB of small.orders. */
	cr_assert_eq(raw_publish(&c, "small.orders", 100, payload, &base), SLUICE_OK);
	cr_assert_eq(raw_publish(&c, "large", 100, payload, &base), SLUICE_OK);
	int deleted = 0;
	for (int i = 0; i < 200 && !deleted; i++) {
		usleep(20000);
		broker_log_read(&bp, log, sizeof(log));
		deleted = strstr(log, "messages deleted") != NULL;
	}
	cr_assert(deleted, "no retention: %s", log);
	uint64_t first = first_kept(&c, "small.orders", "s");
	cr_assert(first > 80 && first < 100, "small.orders first offset %llu",
	    (unsigned long long) first);
	cr_assert_eq(first_kept(&c, "large", "s"), 0, "the default keeps everything");
	raw_close(&c);
	cr_assert_eq(broker_stop(&bp), 0);
	broker_log_read(&bp, log, sizeof(log));
	cr_assert(strstr(log, "topic small.orders created on first publish (retention "
	                      "0 ms, 1024 bytes; policy small.*)") != NULL, "%s", log);
}

/* Subscribes with window 0 (unset); returns SubscribeOk.window. */
static uint32_t
subscribe_window(raw_conn *c, const char *sub, uint32_t window)
{
	Sluice__Subscribe s = SLUICE__SUBSCRIBE__INIT;
	s.topic = (char *) "win";
	s.subscription = (char *) sub;
	s.consumer_name = (char *) "w";
	s.window = window;
	Sluice__Request req = SLUICE__REQUEST__INIT;
	req.body_case = SLUICE__REQUEST__BODY_SUBSCRIBE;
	req.subscribe = &s;
	Sluice__Reply *r = NULL;
	cr_assert_eq(raw_call(c, &req, &r), 0);
	cr_assert_eq(r->status, SLUICE_OK, "%s", r->error);
	cr_assert_not_null(r->subscribe);
	uint32_t w = r->subscribe->window;
	codec_reply_free(r);
	return w;
}

Test(config, the_window_default_applies_to_a_subscribe_without_a_window)
{
	char cfg[600], data[600];
	path_in_tmp(cfg, sizeof(cfg), "subs.yaml");
	path_in_tmp(data, sizeof(data), "data");
	write_file(cfg, "metrics_listen: \"off\"\n"
	                "subscriptions:\n  defaults:\n    window: 37\n");
	broker_proc bp;
	const char *extra[] = { "--config", cfg, NULL };
	cr_assert_eq(broker_start(&bp, data, extra), 0);
	raw_conn c;
	cr_assert_eq(raw_open(&c, bp.url), 0);
	cr_assert_eq(raw_hello(&c, SLUICE_PROTOCOL_VERSION), SLUICE_OK);
	cr_assert_eq(subscribe_window(&c, "unset", 0), 37);
	cr_assert_eq(subscribe_window(&c, "given", 5), 5);
	raw_close(&c);
	cr_assert_eq(broker_stop(&bp), 0);

	/* Without a config the engine's 1000 stays. */
	broker_proc bp2;
	char data2[600];
	path_in_tmp(data2, sizeof(data2), "data2");
	const char *no_metrics[] = { "--metrics-listen", "off", NULL };
	cr_assert_eq(broker_start(&bp2, data2, no_metrics), 0);
	cr_assert_eq(raw_open(&c, bp2.url), 0);
	cr_assert_eq(raw_hello(&c, SLUICE_PROTOCOL_VERSION), SLUICE_OK);
	cr_assert_eq(subscribe_window(&c, "unset", 0), 1000);
	raw_close(&c);
	cr_assert_eq(broker_stop(&bp2), 0);
}

/*
 * A flat JSON object check, enough for log lines: {"k":v,...} with string,
 * number, true/false/null values. Returns 1 when line is one.
 */
static int
json_string(const char **p)
{
	if (**p != '"')
		return 0;
	for ((*p)++; **p != '"'; (*p)++) {
		if (**p == '\0' || (unsigned char) **p < 0x20)
			return 0;
		if (**p == '\\') {
			(*p)++;
			if (**p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (strchr("0123456789abcdefABCDEF", (*p)[i]) == NULL ||
					    (*p)[i] == '\0')
						return 0;
				*p += 4;
			} else if (strchr("\"\\/bfnrt", **p) == NULL || **p == '\0') {
				return 0;
			}
		}
	}
	(*p)++;
	return 1;
}

static int
json_flat_object(const char *p)
{
	if (*p++ != '{')
		return 0;
	for (int first = 1;; first = 0) {
		if (*p == '}' && first)
			break;
		if (!json_string(&p) || *p++ != ':')
			return 0;
		if (*p == '"') {
			if (!json_string(&p))
				return 0;
		} else if (strncmp(p, "true", 4) == 0 || strncmp(p, "null", 4) == 0) {
			p += 4;
		} else if (strncmp(p, "false", 5) == 0) {
			p += 5;
		} else {
			const char *s = p;
			if (*p == '-')
				p++;
			while (*p >= '0' && *p <= '9')
				p++;
			if (p == s || (p == s + 1 && *s == '-'))
				return 0;
		}
		if (*p == '}')
			break;
		if (*p++ != ',')
			return 0;
	}
	return p[1] == '\0';
}

/* Checks every line of log; returns how many lines hold `needle`. */
static int
check_json_lines(char *log, const char *needle)
{
	int hits = 0, lines = 0;
	for (char *line = strtok(log, "\n"); line != NULL; line = strtok(NULL, "\n")) {
		lines++;
		cr_assert(json_flat_object(line), "not a flat JSON object: %s", line);
		cr_assert(strncmp(line, "{\"ts\":\"", 7) == 0, "%s", line);
		const char *ts = line + 7; /* 2024-05-01T12:00:00.123Z */
		cr_assert(strlen(ts) > 24 && ts[4] == '-' && ts[10] == 'T' &&
		        ts[19] == '.' && ts[23] == 'Z' && ts[24] == '"',
		    "ts: %s", line);
		cr_assert(strstr(line, "\",\"level\":\"") != NULL, "%s", line);
		cr_assert(strstr(line, ",\"msg\":\"") != NULL, "%s", line);
		if (strstr(line, needle) != NULL)
			hits++;
	}
	cr_assert(lines > 0);
	return hits;
}

Test(config, json_logs_are_json_lines_with_connect_and_disconnect_events)
{
	char data[600], log[1 << 16], copy[1 << 16];
	path_in_tmp(data, sizeof(data), "data");
	broker_proc bp;
	const char *extra[] = { "--log-format", "json", "--consumer-lease-ms", "300",
		"--watchdog-ms", "50", "--metrics-listen", "off", NULL };
	cr_assert_eq(broker_start(&bp, data, extra), 0);
	raw_conn c;
	uint64_t base, id;
	cr_assert_eq(raw_open(&c, bp.url), 0);
	cr_assert_eq(raw_hello(&c, SLUICE_PROTOCOL_VERSION), SLUICE_OK);
	cr_assert_eq(raw_publish(&c, "json", 1, "m", &base), SLUICE_OK);
	/* Failover: the standby takes over when the active one leaves. */
	raw_conn f1, f2;
	cr_assert_eq(raw_open(&f1, bp.url), 0);
	cr_assert_eq(raw_open(&f2, bp.url), 0);
	cr_assert_eq(raw_hello(&f1, SLUICE_PROTOCOL_VERSION), SLUICE_OK);
	cr_assert_eq(raw_hello(&f2, SLUICE_PROTOCOL_VERSION), SLUICE_OK);
	cr_assert_eq(raw_subscribe(&f1, "json", "fo", SLUICE__SUB_TYPE__SUB_FAILOVER,
	                 SLUICE__SUB_MODE__MODE_RELIABLE, 10,
	                 SLUICE__START_AT__START_EARLIEST, &id),
	    SLUICE_OK);
	cr_assert_eq(raw_subscribe(&f2, "json", "fo", SLUICE__SUB_TYPE__SUB_FAILOVER,
	                 SLUICE__SUB_MODE__MODE_RELIABLE, 10,
	                 SLUICE__START_AT__START_EARLIEST, &id),
	    SLUICE_OK);
	raw_close(&f1);
	int switched = 0;
	for (int i = 0; i < 300 && !switched; i++) {
		usleep(10000);
		broker_log_read(&bp, log, sizeof(log));
		switched = strstr(log, "\"event\":\"failover_switch\"") != NULL;
	}
	raw_close(&f2);
	cr_assert(switched, "no failover_switch: %s", log);
	raw_close(&c);

	/* A consumer that goes silent: its lease expires. */
	raw_conn k;
	cr_assert_eq(raw_open(&k, bp.url), 0);
	cr_assert_eq(raw_hello(&k, SLUICE_PROTOCOL_VERSION), SLUICE_OK);
	cr_assert_eq(raw_subscribe(&k, "json", "quiet", SLUICE__SUB_TYPE__SUB_EXCLUSIVE,
	                 SLUICE__SUB_MODE__MODE_RELIABLE, 10,
	                 SLUICE__START_AT__START_EARLIEST, &id),
	    SLUICE_OK);
	int expired = 0;
	for (int i = 0; i < 300 && !expired; i++) {
		usleep(10000);
		broker_log_read(&bp, log, sizeof(log));
		expired = strstr(log, "\"reason\":\"lease expired\"") != NULL;
	}
	raw_close(&k);
	cr_assert(expired, "no lease expiry: %s", log);
	cr_assert_eq(broker_stop(&bp), 0);
	broker_log_read(&bp, log, sizeof(log));
	memcpy(copy, log, sizeof(log));

	cr_assert(strstr(log, "\"event\":\"client_connect\",\"pipe\":") != NULL, "%s", log);
	cr_assert(strstr(log, "\"event\":\"client_disconnect\",\"pipe\":") != NULL, "%s", log);
	cr_assert(strstr(log, "\"client\":\"raw-test\",\"reason\":\"closed by peer\"") != NULL,
	    "%s", log);
	cr_assert(strstr(log, "\"event\":\"topic_create\",\"topic\":\"json\"") != NULL,
	    "%s", log);
	cr_assert(strstr(log, "\"event\":\"subscribe\"") != NULL, "%s", log);
	cr_assert(strstr(log, "\"subscription\":\"quiet\"") != NULL, "%s", log);
	cr_assert(strstr(log, "\"level\":\"info\",\"msg\":\"stopped cleanly\"}") != NULL,
	    "%s", log);
	cr_assert(check_json_lines(copy, "\"event\":\"client_connect\"") >= 2);
}
