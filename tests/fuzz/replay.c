/* Replays a libFuzzer corpus without libFuzzer: linked with one
 * tests/fuzz/fuzz_NAME.c into build/tests/replay_fuzz_NAME, it feeds every
 * file under the given directories (recursively, in name order) and every
 * file given directly to LLVMFuzzerTestOneInput() and prints TAP:
 *
 *   ok 1 - tests/fuzz/corpus/label/valid-copy-a
 *   not ok 2 - tests/fuzz/corpus/label/x: killed by signal 6 (Aborted)
 *   1..2
 *
 * Each input runs in a child process, so one crash does not hide the
 * others; the child's diagnostics (the failed invariant, the sanitizer's
 * report, a leak) go to stderr. REPLAY_NO_FORK=1 runs inputs in-process,
 * for a debugger. A directory holding no file is "not ok": an empty corpus
 * tests nothing. A file whose name starts with valid-, bad-crc-, refused- or
 * damaged- must also behave as its name says (tests/fuzz/fuzz.h). Exit status 0 if every line is "ok", 1 if not, 2 on bad usage. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/fuzz/fuzz.h"

static int n_tests, n_failed;
static bool no_fork;

static void report(bool ok, const char *path, const char *why)
{
	n_tests++;
	if (!ok)
		n_failed++;
	printf("%s %d - %s%s%s\n", ok ? "ok" : "not ok", n_tests, path, why ? ": " : "",
	       why ? why : "");
	fflush(stdout);
}

/* Reads the whole file into an allocation of exactly its size, so the
 * sanitizers catch a read past the input's end as libFuzzer would. */
static int read_file(const char *path, uint8_t **data, size_t *size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	size_t len = (size_t)st.st_size, got = 0;
	uint8_t *buf = malloc(len ? len : 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? -errno : -EIO;
			free(buf);
			close(fd);
			return e;
		}
		got += (size_t)n;
	}
	close(fd);
	*data = buf;
	*size = len;
	return 0;
}

static int run_input(const char *path)
{
	uint8_t *data = NULL;
	size_t size = 0;
	int r = read_file(path, &data, &size);
	if (r < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(-r));
		return 3;
	}
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (!strncmp(base, "valid-", 6))
		fuzz_expect = FUZZ_EXPECT_VALID;
	else if (!strncmp(base, "bad-crc-", 8))
		fuzz_expect = FUZZ_EXPECT_BAD_CRC;
	else if (!strncmp(base, "refused-", 8))
		fuzz_expect = FUZZ_EXPECT_REFUSED;
	else if (!strncmp(base, "damaged-", 8))
		fuzz_expect = FUZZ_EXPECT_DAMAGED;
	else
		fuzz_expect = FUZZ_EXPECT_ANY;
	LLVMFuzzerTestOneInput(data, size);
	free(data);
	return 0;
}

static void replay_file(const char *path)
{
	if (no_fork) {
		int r = run_input(path);
		report(r == 0, path, r ? "cannot read" : NULL);
		return;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		report(false, path, strerror(errno));
		return;
	}
	if (pid == 0) /* exit(), not _exit(): LeakSanitizer runs at exit */
		exit(run_input(path));
	int status;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			report(false, path, strerror(errno));
			return;
		}
	}
	char why[128];
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		report(true, path, NULL);
		return;
	}
	if (WIFSIGNALED(status))
		snprintf(why, sizeof(why), "killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 3)
		snprintf(why, sizeof(why), "cannot read");
	else
		snprintf(why, sizeof(why), "exited with status %d", WEXITSTATUS(status));
	report(false, path, why);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Replays every regular file under `dir`; returns how many, or -1. */
static int replay_dir(const char *dir)
{
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, by_name);
	if (n < 0) {
		report(false, dir, strerror(errno));
		return -1;
	}
	int files = 0;
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		if (strcmp(name, ".") && strcmp(name, "..")) {
			size_t len = strlen(dir) + strlen(name) + 2;
			char *path = malloc(len);
			if (!path) {
				report(false, dir, "out of memory");
				free(ents[i]);
				continue;
			}
			snprintf(path, len, "%s/%s", dir, name);
			struct stat st;
			if (stat(path, &st) < 0) {
				report(false, path, strerror(errno));
			} else if (S_ISDIR(st.st_mode)) {
				int k = replay_dir(path);
				files += k > 0 ? k : 0;
			} else if (S_ISREG(st.st_mode)) {
				replay_file(path);
				files++;
			} else {
				report(false, path, "not a regular file or directory");
			}
			free(path);
		}
		free(ents[i]);
	}
	free(ents);
	return files;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s CORPUS-DIR-OR-FILE...\n", argv[0]);
		return 2;
	}
	const char *nf = getenv("REPLAY_NO_FORK");
	no_fork = nf && *nf && strcmp(nf, "0");
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) < 0) {
			report(false, argv[i], strerror(errno));
		} else if (S_ISDIR(st.st_mode)) {
			if (replay_dir(argv[i]) == 0)
				report(false, argv[i], "corpus is empty");
		} else {
			replay_file(argv[i]);
		}
	}
	printf("1..%d\n", n_tests);
	return n_failed ? 1 : 0;
}
