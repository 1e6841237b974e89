/*
 * check-heap PROBE: a sanity check of the CLONE_VM design, not a benchmark.
 * Times starts of PROBE --exit 0 in a new user namespace with a sync
 * callback while the process holds 0 and then 1 GiB of touched heap, and
 * prints the medians and their ratio; a fork-based start would grow with
 * the heap (page tables are copied), ours must not.  Exits 1 when the 1 GiB
 * median is not under twice the 0 one.
 */
#include <sched.h>
#include <sys/mman.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "cforkexec.h"

#define BLOCKS	  4
#define PER_BLOCK 60
#define ROUNDS	  (BLOCKS * PER_BLOCK)
#define GIB	  (1024L * 1024L * 1024L)

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

/* Microseconds from cfe_start's call to its return, one per start. */
static void time_starts(const char *probe, double *samples, int n)
{
	const char *args[] = {probe, "--exit", "0"};
	struct cfe_config c = {
	    .size = sizeof(c),
	    .args = args,
	    .args_len = 3,
	    .clone_flags = CLONE_NEWUSER,
	    .sync_fn = no_op,
	};
	struct cfe_error err;

	for (int i = 0; i < n; i++) {
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
}

static double median(double *samples, int n)
{
	qsort(samples, (size_t)n, sizeof(samples[0]), compare_double);
	return samples[n / 2];
}

/* 1 GiB of heap that the kernel has really handed out. */
static char *touched_gib(void)
{
	char *heap = mmap(NULL, GIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (heap == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	memset(heap, 1, GIB);
	return heap;
}

int main(int argc, char **argv)
{
	static double empty[ROUNDS], full[ROUNDS];
	double empty_median, full_median;

	if (argc != 2) {
		fprintf(stderr, "usage: %s PROBE\n", argv[0]);
		return 2;
	}
	time_starts(argv[1], empty, PER_BLOCK); /* warm up */
	/* Interleaved blocks, so that a burst of load on a shared machine
	 * falls on both sides. */
	for (int b = 0; b < BLOCKS; b++) {
		char *heap;

		time_starts(argv[1], empty + b * PER_BLOCK, PER_BLOCK);
		heap = touched_gib();
		time_starts(argv[1], full + b * PER_BLOCK, PER_BLOCK);
		munmap(heap, GIB);
	}
	empty_median = median(empty, ROUNDS);
	full_median = median(full, ROUNDS);
	printf("start with user namespace + sync callback, median of %d:\n", ROUNDS);
	printf(
	    "  heap 0:     %8.1f us\n  heap 1 GiB: %8.1f us\n  ratio:      %8.2f (must be < 2)\n",
	    empty_median, full_median, full_median / empty_median);
	return full_median < 2 * empty_median ? 0 : 1;
}
