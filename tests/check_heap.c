/*
 * check-heap PROBE: a sanity check of the CLONE_VM design, not a benchmark.
 * Times starts of PROBE --exit 0 in a new user namespace with a sync
 * callback while the process holds 0 and then 1 GiB of touched heap, and
 * prints the medians and their ratio; a fork-based start would grow with
 * the heap (page tables are copied), ours must not.  Exits 1 when the 1 GiB
 * median is not under twice the 0 one.
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "cforkexec.h"

#define ROUNDS 200
#define GIB    (1024L * 1024L * 1024L)

static int32_t no_op(void *context, int32_t pid)
{
	(void)context;
	(void)pid;
	return 0;
}

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* Median microseconds from cfe_start's call to its return. */
static double median_start_us(const char *probe)
{
	const char *args[] = {probe, "--exit", "0"};
	struct cfe_config c = {
	    .size = sizeof(c),
	    .args = args,
	    .args_len = 3,
	    .clone_flags = CLONE_NEWUSER,
	    .sync_fn = no_op,
	};
	double samples[ROUNDS];
	struct cfe_error err;

	for (int i = 0; i < ROUNDS; i++) {
		double t0 = now_us();
		int32_t pid = cfe_start(&c, &err, NULL);

		samples[i] = now_us() - t0;
		if (pid < 0) {
			fprintf(stderr, "start failed: %s: errno %d\n",
				cfe_location_name(err.location), err.err_no);
			exit(2);
		}
		waitpid(pid, NULL, 0);
	}
	qsort(samples, ROUNDS, sizeof(samples[0]), compare_double);
	return samples[ROUNDS / 2];
}

int main(int argc, char **argv)
{
	double empty, full;
	char *heap;

	if (argc != 2) {
		fprintf(stderr, "usage: %s PROBE\n", argv[0]);
		return 2;
	}
	median_start_us(argv[1]); /* warm up */
	empty = median_start_us(argv[1]);
	heap = malloc(GIB);
	if (heap == NULL)
		return 2;
	memset(heap, 1, GIB);
	full = median_start_us(argv[1]);
	printf("start with user namespace + sync callback, median of %d:\n", ROUNDS);
	printf(
	    "  heap 0:     %8.1f us\n  heap 1 GiB: %8.1f us\n  ratio:      %8.2f (must be < 2)\n",
	    empty, full, full / empty);
	free(heap);
	return full < 2 * empty ? 0 : 1;
}
