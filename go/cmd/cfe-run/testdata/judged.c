/* The program the cfe-run tests judge: argv[1] picks what it does. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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
