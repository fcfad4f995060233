/*
 * replay.c - runs inputs through the fuzz harness (harness.h) without
 * libFuzzer: every file named, and every file in each directory named, in
 * name order. The meson test fuzz_regressions replays tests/fuzz/regressions
 * and tests/fuzz/corpus in every build; a crash or sanitizer report fails
 * it. Prints "replayed N inputs".
 */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness.h"

static int
replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		perror(path);
		return -1;
	}
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, n;
	do {
		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			uint8_t *nb = realloc(buf, cap);
			if (nb == NULL) {
				free(buf);
				fclose(f);
				return -1;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	fuzz_harness_run(buf, len);
	free(buf);
	return 0;
}

static int
by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int
replay_path(const char *path, int *count)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		perror(path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		(*count)++;
		return replay_file(path);
	}
	struct dirent **names;
	int n = scandir(path, &names, NULL, by_name), rv = 0;
	if (n < 0) {
		perror(path);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char full[4096];
		if (names[i]->d_name[0] != '.' && rv == 0) {
			snprintf(full, sizeof(full), "%s/%s", path, names[i]->d_name);
			rv = replay_path(full, count);
		}
		free(names[i]);
	}
	free(names);
	return rv;
}

int
main(int argc, char **argv)
{
	int count = 0, rv = 0;
	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	if (fuzz_harness_init() != 0) {
		fuzz_harness_fini();
		return 1;
	}
	for (int i = 1; i < argc && rv == 0; i++)
		rv = replay_path(argv[i], &count);
	fuzz_harness_fini();
	printf("replayed %d inputs\n", count);
	return rv == 0 ? 0 : 1;
}
