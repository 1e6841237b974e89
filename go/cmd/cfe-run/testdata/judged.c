/* The program the cfe-run tests judge: argv[1] picks what it does. */
#define _GNU_SOURCE /* strerrorname_np, ST_NODEV */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <unistd.h>

static int fork_bomb(void)
{
	int told = 0;
	for (;;) {
		pid_t pid = fork();
		/* Each process says once that the process limit stopped it. */
		if (pid < 0 && errno == EAGAIN && !told) {
			told = 1;
			if (write(1, "EAGAIN\n", 7) < 0)
				return 1;
		}
	}
}

/* Whether a file can be made in dir, and its mount's flags. */
static int probe_dir(const char *dir)
{
	char path[512];
	struct statvfs st;
	snprintf(path, sizeof path, "%s/cfe-run-probe", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	const char *how = fd >= 0 ? "created" : strerrorname_np(errno);
	if (statvfs(dir, &st) < 0)
		return 1;
	printf("write=%s ro=%d nosuid=%d nodev=%d\n", how, !!(st.f_flag & ST_RDONLY),
	       !!(st.f_flag & ST_NOSUID), !!(st.f_flag & ST_NODEV));
	return 0;
}

/* Write n MiB to /w/fill; say how it ended. */
static int fill_work(long n)
{
	static char buf[1 << 20];
	int fd = open("/w/fill", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return 1;
	for (long i = 0; i < n; i++)
		if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf) {
			printf("%s after %ld MiB\n", strerrorname_np(errno), i);
			return 0;
		}
	printf("wrote %ld MiB\n", n);
	return 0;
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";
	if (!strcmp(what, "exit")) /* exit N */
		return argc > 2 ? atoi(argv[2]) : 0;
	if (!strcmp(what, "sum")) { /* the sum of the numbers on stdin */
		long long sum = 0, x;
		while (scanf("%lld", &x) == 1)
			sum += x;
		printf("%lld\n", sum);
		return 0;
	}
	if (!strcmp(what, "loop"))
		for (volatile unsigned long n = 0;; n++)
			;
	if (!strcmp(what, "sleep"))
		return sleep(30) != 0;
	if (!strcmp(what, "ready-sleep")) { /* say so, then sleep */
		if (write(1, "ready\n", 6) != 6)
			return 1;
		return sleep(30) != 0;
	}
	if (!strcmp(what, "use") && argc > 2) { /* touch N MiB, then exit 1 */
		size_t n = (size_t)atol(argv[2]) << 20;
		volatile char *p = malloc(n);
		if (!p)
			return 2;
		for (size_t i = 0; i < n; i += 4096)
			p[i] = 1;
		return 1;
	}
	if (!strcmp(what, "probe") && argc > 2)
		return probe_dir(argv[2]);
	if (!strcmp(what, "fill") && argc > 2)
		return fill_work(atol(argv[2]));
	if (!strcmp(what, "cat") && argc > 2) { /* copy a file to stdout */
		char buf[4096];
		ssize_t n;
		int fd = open(argv[2], O_RDONLY);
		if (fd < 0)
			return 1;
		while ((n = read(fd, buf, sizeof buf)) > 0)
			if (write(1, buf, (size_t)n) != n)
				return 1;
		return 0;
	}
	if (!strcmp(what, "both")) /* a line on stdout, then one on stderr */
		return write(1, "out\n", 4) != 4 || write(2, "err\n", 4) != 4;
	if (!strcmp(what, "abort"))
		abort();
	if (!strcmp(what, "alloc")) /* touch 1 MiB blocks until malloc fails, then fault on NULL */
		for (;;) {
			volatile char *p = malloc(1 << 20);
			for (int i = 0; i < (1 << 20); i += 4096)
				p[i] = 1;
		}
	if (!strcmp(what, "write")) {
		static char buf[65536];
		memset(buf, 'x', sizeof buf);
		for (;;)
			if (write(1, buf, sizeof buf) < 0)
				return 1;
	}
	if (!strcmp(what, "forkbomb"))
		return fork_bomb();
	if (!strcmp(what, "socket"))
		return socket(AF_INET, SOCK_STREAM, 0) < 0 ? 4 : 5;
	if (!strcmp(what, "segv"))
		*(volatile int *)0 = 1;
	if (!strcmp(what, "whoami")) { /* uid, cwd, whether /w is writable */
		char cwd[256];
		FILE *f = fopen("/w/probe", "w");
		printf("uid=%d gid=%d cwd=%s w=%s\n", (int)getuid(), (int)getgid(),
		       getcwd(cwd, sizeof cwd) ? cwd : "?", f ? "writable" : "read-only");
		return 0;
	}
	if (!strcmp(what, "fds")) { /* how many fds above 2 are open */
		int open_fds = 0;
		for (int fd = 3; fd < 1024; fd++)
			open_fds += fcntl(fd, F_GETFD) >= 0;
		printf("fds=%d\n", open_fds);
		return 0;
	}
	fprintf(stderr, "judged: unknown mode %s\n", what);
	return 100;
}
