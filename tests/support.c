/* Helpers of the C integration tests; see support.h. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "support.h"

#define MAX_ARGS  32
#define MAX_FILES 64

const char *probe_path(void)
{
	const char *p = getenv("CFE_PROBE");

	return p ? p : "build/probe";
}

const char *policy_prog_path(void)
{
	const char *p = getenv("CFE_POLICY_PROG");

	return p ? p : "build/policy-prog";
}

struct cfe_config probe_config(void)
{
	struct cfe_config c;

	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	return c;
}

char *read_to_end(int fd)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);

	assert_non_null(buf);
	for (;;) {
		ssize_t n;

		if (len + 1 == cap) {
			char *bigger = realloc(buf, cap * 2);

			assert_non_null(bigger);
			buf = bigger;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	return buf;
}

void probe_run(struct cfe_config *c, const char *const *extra_args, struct probe_result *r)
{
	const char *args[MAX_ARGS];
	int32_t files[MAX_FILES];
	char out_fd_text[16];
	uint32_t nargs = 0;
	int pipefd[2];
	int devnull = -1;
	const int32_t *given_files = c->files;
	const uint32_t given_len = c->files_len;

	memset(r, 0, sizeof(*r));
	assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
	if (c->files_len == 0) {
		devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
		assert_true(devnull >= 0);
		files[0] = devnull;
		files[1] = pipefd[1];
		files[2] = 2;
		c->files = files;
		c->files_len = 3;
		r->out_fd = 1;
	} else {
		assert_true(c->files_len < MAX_FILES);
		memcpy(files, c->files, c->files_len * sizeof(files[0]));
		files[c->files_len] = pipefd[1];
		r->out_fd = (int)c->files_len;
		c->files = files;
		c->files_len++;
	}
	snprintf(out_fd_text, sizeof(out_fd_text), "%d", r->out_fd);
	args[nargs++] = probe_path();
	args[nargs++] = "--out-fd";
	args[nargs++] = out_fd_text;
	for (size_t i = 0; extra_args && extra_args[i]; i++) {
		assert_true(nargs < MAX_ARGS);
		args[nargs++] = extra_args[i];
	}
	c->args = args;
	c->args_len = nargs;

	r->pid = cfe_start(c, &r->err, NULL);
	close(pipefd[1]);
	if (devnull >= 0)
		close(devnull);
	r->json = read_to_end(pipefd[0]);
	close(pipefd[0]);
	if (r->pid > 0)
		assert_int_equal(waitpid(r->pid, &r->status, 0), r->pid);
	/* Leave c as the test built it, so that it can start again. */
	c->args = NULL;
	c->args_len = 0;
	c->files = given_files;
	c->files_len = given_len;
}

void probe_result_free(struct probe_result *r)
{
	free(r->json);
	r->json = NULL;
}

long long json_int(const char *json, const char *key)
{
	char pattern[128];
	const char *at;

	snprintf(pattern, sizeof(pattern), "\"%s\":", key);
	at = strstr(json, pattern);
	if (at == NULL)
		fail_msg("no field %s in report: %s", key, json);
	return strtoll(at + strlen(pattern), NULL, 10);
}

int json_has(const char *json, const char *fragment)
{
	return strstr(json, fragment) != NULL;
}

unsigned long long self_ns_inode(const char *kind)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/self/ns/%s", kind);
	assert_int_equal(stat(path, &st), 0);
	return (unsigned long long)st.st_ino;
}

int pid_exists(int pid)
{
	char path[32];

	snprintf(path, sizeof(path), "/proc/%d", pid);
	return access(path, F_OK) == 0;
}

void require_root(void)
{
	if (geteuid() != 0) {
		fprintf(stderr,
			"skipped: the integration tests need root (namespaces, mounts, setuid)\n");
		skip();
	}
}

uint32_t export_filter(scmp_filter_ctx ctx, struct cfe_bpf_insn *out, size_t cap)
{
	int fd = memfd_create("filter", MFD_CLOEXEC);
	ssize_t n;

	assert_true(fd >= 0);
	assert_int_equal(seccomp_export_bpf(ctx, fd), 0);
	seccomp_release(ctx);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	n = read(fd, out, cap * sizeof(*out));
	close(fd);
	assert_true(n > 0 && (size_t)n < cap * sizeof(*out));
	assert_int_equal((size_t)n % sizeof(*out), 0);
	return (uint32_t)((size_t)n / sizeof(*out));
}
