/*
 * test_cli.c - sluice-cli produce against the real sluiced: offsets
 * printed per message, stdin and generated input, --quiet, and exit codes
 * scripts can trust (0 success, 1 failure with the error text, 2 usage).
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support.h"
#include "tlog.h"

TestSuite(cli, .init = tmpdir_enter, .fini = tmpdir_leave, .timeout = 60);

static broker_proc bp;
static char data[600];

static void
start(void)
{
	snprintf(data, sizeof(data), "%s/data", tmpdir_path());
	cr_assert_eq(broker_start(&bp, data, NULL), 0);
}

static int
cli(const char *const *args, char *out, size_t n, char *err, size_t en)
{
	const char *argv[32];
	int i = 0;
	argv[i++] = getenv("SLUICE_CLI");
	for (; *args != NULL && i < 31; args++)
		argv[i++] = *args;
	argv[i] = NULL;
	return run_capture(argv, out, n, err, en);
}

Test(cli, produce_prints_the_offset_of_each_message_in_order)
{
	start();
	char out[4096], err[4096];
	const char *a[] = { "produce", "orders", "--url", bp.url, "-m", "one", "-m",
		"two", "-m", "three", "--key", "k", "--property", "a=b", NULL };
	cr_assert_eq(cli(a, out, sizeof(out), err, sizeof(err)), 0, "stderr: %s", err);
	cr_assert_str_eq(out, "0\n1\n2\n");
	cr_assert_eq(cli(a, out, sizeof(out), err, sizeof(err)), 0);
	cr_assert_str_eq(out, "3\n4\n5\n");
	cr_assert_eq(broker_stop(&bp), 0);

	tlog *l;
	tlog_topic *t;
	cr_assert_eq(tlog_open(&l, data), SLUICE_OK);
	cr_assert_eq(tlog_topic_find(l, "orders", &t), SLUICE_OK);
	cr_assert_eq(tlog_topic_head(t), 6);
	tlog_close(l);
}

Test(cli, generated_messages_with_quiet_print_only_the_last_offset)
{
	start();
	char out[4096], err[4096];
	const char *a[] = { "produce", "gen", "--url", bp.url, "--count", "20000",
		"--size", "100", "--quiet", NULL };
	cr_assert_eq(cli(a, out, sizeof(out), err, sizeof(err)), 0, "stderr: %s", err);
	cr_assert_str_eq(out, "19999\n");
	cr_assert_eq(broker_stop(&bp), 0);
}

Test(cli, stdin_lines_become_messages)
{
	start();
	char path[700];
	snprintf(path, sizeof(path), "%s/in.txt", tmpdir_path());
	FILE *f = fopen(path, "w");
	fputs("alpha\nbeta\ngamma\n", f);
	fclose(f);
	char cmd[2048], out[256] = { 0 };
	snprintf(cmd, sizeof(cmd), "%s produce lines --url %s < %s", getenv("SLUICE_CLI"),
	    bp.url, path);
	FILE *p = popen(cmd, "r");
	size_t n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	cr_assert_eq(WEXITSTATUS(pclose(p)), 0);
	cr_assert_str_eq(out, "0\n1\n2\n");
	cr_assert_eq(broker_stop(&bp), 0);
}

Test(cli, a_publish_the_broker_refuses_exits_1_with_the_error_text)
{
	snprintf(data, sizeof(data), "%s/data", tmpdir_path());
	const char *extra[] = { "--auto-create-topics", "off", NULL };
	cr_assert_eq(broker_start(&bp, data, extra), 0);
	char out[4096], err[4096];
	const char *a[] = { "produce", "missing", "--url", bp.url, "-m", "x", NULL };
	cr_assert_eq(cli(a, out, sizeof(out), err, sizeof(err)), 1);
	cr_assert(strstr(err, "no such topic") != NULL, "stderr: %s", err);
	cr_assert_eq(broker_stop(&bp), 0);
}

Test(cli, an_invalid_topic_name_is_a_usage_error)
{
	char out[4096], err[4096];
	const char *a[] = { "produce", "bad topic", "-m", "x", NULL };
	cr_assert_eq(cli(a, out, sizeof(out), err, sizeof(err)), 2);
	cr_assert(strstr(err, "invalid topic name") != NULL, "stderr: %s", err);
}

Test(cli, no_broker_exits_1_and_usage_errors_exit_2)
{
	char out[4096], err[4096];
	char url[64];
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", free_port());
	const char *a[] = { "produce", "t", "--url", url, "-m", "x", NULL };
	cr_assert_eq(cli(a, out, sizeof(out), err, sizeof(err)), 1);
	cr_assert(strstr(err, "refused") != NULL, "stderr: %s", err);
	const char *b[] = { "produce", NULL };
	cr_assert_eq(cli(b, out, sizeof(out), err, sizeof(err)), 2);
	const char *c[] = { "frobnicate", NULL };
	cr_assert_eq(cli(c, out, sizeof(out), err, sizeof(err)), 2);
	const char *d[] = { "--help", NULL };
	cr_assert_eq(cli(d, out, sizeof(out), err, sizeof(err)), 0);
	cr_assert(strstr(out, "produce") != NULL);
}
