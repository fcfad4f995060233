/* support.c - temp dirs, ports and the broker child process for tests. */
#define _XOPEN_SOURCE 700
#include "support.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char tmp_path[512];

const char *
tmpdir_make(void)
{
	const char *base = getenv("TMPDIR");
	snprintf(tmp_path, sizeof(tmp_path), "%s/sluice-test-XXXXXX",
	    base && *base ? base : "/tmp");
	if (mkdtemp(tmp_path) == NULL) {
		perror("mkdtemp");
		return NULL;
	}
	return tmp_path;
}

void
tmpdir_enter(void)
{
	tmpdir_make();
}

const char *
tmpdir_path(void)
{
	return tmp_path;
}

static int
rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void) sb;
	(void) flag;
	(void) ftw;
	return remove(p);
}

void
rm_rf(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Children started by this test (brokers, helpers): a failed assertion
 * skips their stop, and a broker left running would load the machine
 * under the tests that follow. */
static pid_t children[64];
static int nchildren;

void
child_track(pid_t pid)
{
	if (nchildren < (int) (sizeof(children) / sizeof(children[0])))
		children[nchildren++] = pid;
}

/* Kills the tracked children still running. A child not yet reaped keeps
 * its pid, so a pid waitpid calls running is still ours. */
static void
children_kill(void)
{
	for (int i = 0; i < nchildren; i++) {
		if (waitpid(children[i], NULL, WNOHANG) == 0) {
			kill(children[i], SIGKILL);
			waitpid(children[i], NULL, 0);
		}
	}
	nchildren = 0;
}

void
tmpdir_leave(void)
{
	children_kill();
	if (tmp_path[0] != '\0')
		rm_rf(tmp_path);
}

int
free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof(sa);
	if (fd < 0 || bind(fd, (struct sockaddr *) &sa, sizeof(sa)) != 0 ||
	    getsockname(fd, (struct sockaddr *) &sa, &len) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return ntohs(sa.sin_port);
}

static int
port_open(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t) port) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int ok = connect(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

static const char *saved_extra[32];

static void slurp(int fd, char *buf, size_t n);

/* How many times the broker's log says it started listening (the log is
 * appended to across restarts). */
static int
listening_lines(const broker_proc *bp)
{
	static char buf[1 << 20];
	int fd = open(bp->log, O_RDONLY);
	if (fd < 0)
		return 0;
	slurp(fd, buf, sizeof(buf));
	close(fd);
	int n = 0;
	for (const char *p = buf; (p = strstr(p, " listening on ")) != NULL; p++)
		n++;
	return n;
}

static int
spawn(broker_proc *bp)
{
	const char *exe = getenv("SLUICED");
	if (exe == NULL) {
		fprintf(stderr, "SLUICED is not set\n");
		return -1;
	}
	const char *argv[48];
	int n = 0;
	argv[n++] = exe;
	argv[n++] = "--listen";
	argv[n++] = bp->url;
	argv[n++] = "--data";
	argv[n++] = bp->data;
	/* The metrics endpoint's default port is fixed: test brokers run in
	 * parallel, so they serve metrics only when a test asks (with the
	 * flag or a config file). */
	int metrics = 0;
	for (int i = 0; saved_extra[i] != NULL; i++)
		metrics |= strcmp(saved_extra[i], "--metrics-listen") == 0 ||
		    strcmp(saved_extra[i], "--config") == 0;
	if (!metrics) {
		argv[n++] = "--metrics-listen";
		argv[n++] = "off";
	}
	for (int i = 0; saved_extra[i] != NULL && n < 46; i++)
		argv[n++] = saved_extra[i];
	argv[n] = NULL;
	int before = listening_lines(bp);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open(bp->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0) {
			dup2(fd, 2);
			dup2(fd, 1);
		}
		execv(exe, (char *const *) argv);
		_exit(127);
	}
	bp->pid = pid;
	child_track(pid);
	int open_ticks = 0;
	for (int i = 0; i < 1000; i++) {
		/* The port answering is not enough: another test's broker may
		 * have taken it first (free_port cannot reserve it). Ours says
		 * so in its log once it listens; with a log level that hides
		 * that line, being still alive 300 ms later has to do (one
		 * that lost the port exits as soon as its listen fails). */
		if (port_open(bp->port) &&
		    (listening_lines(bp) > before || ++open_ticks > 30))
			return 0;
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			fprintf(stderr, "sluiced exited at start (status %d)\n", st);
			bp->pid = 0;
			return -1;
		}
		usleep(10000);
	}
	fprintf(stderr, "sluiced did not start listening\n");
	broker_kill9(bp);
	return -1;
}

static int
start_on(broker_proc *bp, const char *scheme, const char *data,
    const char *const *extra)
{
	memset(bp, 0, sizeof(*bp));
	if ((bp->port = free_port()) < 0)
		return -1;
	snprintf(bp->url, sizeof(bp->url), "%s://127.0.0.1:%d", scheme, bp->port);
	snprintf(bp->data, sizeof(bp->data), "%s", data);
	snprintf(bp->log, sizeof(bp->log), "%s.log", data);
	int i = 0;
	for (; extra != NULL && extra[i] != NULL && i < 31; i++)
		saved_extra[i] = extra[i];
	saved_extra[i] = NULL;
	/* A port taken between free_port and the broker's listen: another. */
	for (int attempt = 0; attempt < 5; attempt++) {
		if (spawn(bp) == 0)
			return 0;
		if ((bp->port = free_port()) < 0)
			return -1;
		snprintf(bp->url, sizeof(bp->url), "%s://127.0.0.1:%d", scheme, bp->port);
	}
	return -1;
}

int
broker_start(broker_proc *bp, const char *data, const char *const *extra)
{
	return start_on(bp, "tcp", data, extra);
}

int
broker_start_tls(broker_proc *bp, const char *data, const char *const *extra)
{
	return start_on(bp, "tls+tcp", data, extra);
}

int
broker_restart(broker_proc *bp)
{
	return spawn(bp);
}

int
broker_stop(broker_proc *bp)
{
	if (bp->pid <= 0)
		return -1;
	kill(bp->pid, SIGTERM);
	for (int i = 0; i < 1000; i++) {
		int st;
		if (waitpid(bp->pid, &st, WNOHANG) == bp->pid) {
			bp->pid = 0;
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		}
		usleep(10000);
	}
	broker_kill9(bp);
	return -1;
}

void
broker_kill9(broker_proc *bp)
{
	if (bp->pid <= 0)
		return;
	kill(bp->pid, SIGKILL);
	waitpid(bp->pid, NULL, 0);
	bp->pid = 0;
}

long
broker_rss_kib(const broker_proc *bp)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", (int) bp->pid);
	FILE *f = fopen(path, "r");
	long kib = -1;
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

static void
slurp(int fd, char *buf, size_t n)
{
	size_t used = 0;
	ssize_t r;
	while ((r = read(fd, buf + used, n - 1 - used)) > 0) {
		used += (size_t) r;
		if (used == n - 1)
			break;
	}
	buf[used] = '\0';
}

int
run_capture(const char *const *argv, char *out, size_t n, char *err, size_t en)
{
	char opath[] = "/tmp/sluice-out-XXXXXX", epath[] = "/tmp/sluice-err-XXXXXX";
	int ofd = mkstemp(opath), efd = mkstemp(epath);
	unlink(opath);
	unlink(epath);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(ofd, 1);
		dup2(efd, 2);
		int nul = open("/dev/null", O_RDONLY);
		dup2(nul, 0);
		execv(argv[0], (char *const *) argv);
		_exit(127);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	lseek(ofd, 0, SEEK_SET);
	lseek(efd, 0, SEEK_SET);
	if (out != NULL)
		slurp(ofd, out, n);
	if (err != NULL)
		slurp(efd, err, en);
	close(ofd);
	close(efd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

void
broker_log_read(const broker_proc *bp, char *buf, size_t n)
{
	int fd = open(bp->log, O_RDONLY);
	buf[0] = '\0';
	if (fd < 0)
		return;
	slurp(fd, buf, n);
	close(fd);
}
