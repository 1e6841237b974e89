/* Unit tests of fdplan.c.  Each plan is replayed on a simulated fd table
 * where every open fd holds the identity of the file it was opened on (its
 * original number).  The parent's part is simulated too: before the plan,
 * each entry cfe_fd_needs_park names gets a close-on-exec copy at the
 * lowest free fd at or above n, as fcntl(F_DUPFD_CLOEXEC, n) would give.
 * Checking where every identity ends up, and that no step reads an fd a
 * step before it closed or overwrote, proves that nothing was clobbered. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "internal.h"

/* ---- the simulated fd table ---- */

#define SIM_MAX	  1024
#define FILES_MAX 320

struct sim_fd {
	int32_t fd;
	int32_t id; /* the number the file had before anything ran */
	int cloexec;
	int written; /* overwritten by a step of the plan */
};

struct sim {
	struct sim_fd fds[SIM_MAX];
	size_t len;
};

static const struct sim_fd *sim_lookup(const struct sim *s, int32_t fd)
{
	for (size_t i = 0; i < s->len; i++)
		if (s->fds[i].fd == fd)
			return &s->fds[i];
	return NULL;
}

static struct sim_fd *sim_find(struct sim *s, int32_t fd)
{
	const struct sim_fd *e = sim_lookup(s, fd);

	return e ? &s->fds[e - s->fds] : NULL;
}

static void sim_set(struct sim *s, int32_t fd, int32_t id, int cloexec, int written)
{
	struct sim_fd *e = sim_find(s, fd);

	if (e == NULL) {
		assert_true(s->len < SIM_MAX);
		e = &s->fds[s->len++];
	}
	*e = (struct sim_fd){.fd = fd, .id = id, .cloexec = cloexec, .written = written};
}

static void sim_open(struct sim *s, int32_t fd, int cloexec)
{
	if (sim_lookup(s, fd) == NULL)
		sim_set(s, fd, fd, cloexec, 0);
}

static void sim_close(struct sim *s, int32_t fd)
{
	struct sim_fd *e = sim_find(s, fd);

	if (e != NULL)
		*e = s->fds[--s->len];
}

/* fcntl(fd, F_DUPFD_CLOEXEC, min) */
static int32_t sim_dupfd_cloexec(struct sim *s, int32_t fd, int32_t min)
{
	const struct sim_fd *from = sim_lookup(s, fd);
	int32_t id;
	int32_t copy = min;

	assert_non_null(from);
	id = from->id;
	while (sim_lookup(s, copy) != NULL)
		copy++;
	sim_set(s, copy, id, 1, 0);
	return copy;
}

/* ---- one case ---- */

struct fd_case {
	const int32_t *files;
	uint32_t n;
	int files_cloexec;  /* the flag the caller's files carry */
	uint32_t inherited; /* non-close-on-exec fds from n up, open before */
	int32_t other;	    /* one more close-on-exec fd of the parent, or -1 */
};

static const char *describe(const struct fd_case *k)
{
	static char text[512];
	size_t len = 0;

	len += (size_t)snprintf(text, sizeof(text), "files={");
	for (uint32_t i = 0; i < k->n && len < sizeof(text) - 96; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%s%d", i ? "," : "",
					k->files[i]);
	snprintf(text + len, sizeof(text) - len, "%s} cloexec=%d inherited=%u other=%d",
		 len >= sizeof(text) - 96 ? ",..." : "", k->files_cloexec, k->inherited, k->other);
	return text;
}

/* The fd table the child starts with: stdio, the caller's files, the
 * inherited fds above n, another fd of the parent, then the parked
 * copies the parent made last. */
static uint32_t sim_init(struct sim *s, const struct fd_case *k, int32_t *parked)
{
	uint32_t parked_len = 0;

	s->len = 0;
	for (int32_t fd = 0; fd < 3; fd++)
		sim_open(s, fd, 0);
	for (uint32_t i = 0; i < k->n; i++)
		if (k->files[i] >= 0)
			sim_open(s, k->files[i], k->files_cloexec);
	for (uint32_t j = 0; j < k->inherited; j++)
		sim_open(s, (int32_t)(k->n + j), 0);
	if (k->other >= 0)
		sim_open(s, k->other, 1);
	for (uint32_t i = 0; i < k->n; i++)
		if (cfe_fd_needs_park(k->files, i))
			parked[parked_len++] = sim_dupfd_cloexec(s, k->files[i], (int32_t)k->n);
	return parked_len;
}

static void apply_op(struct sim *s, const struct fd_case *k, uint32_t i, const struct cfe_fd_op *op)
{
	const struct sim_fd *from;
	struct sim_fd *target;

	if (op->to != (int32_t)i)
		fail_msg("%s: op %u writes fd %d, not its own place", describe(k), i, op->to);
	switch (op->kind) {
	case CFE_FD_DUP:
		from = sim_lookup(s, op->from);
		if (op->from < 0 || op->from == op->to)
			fail_msg("%s: op %u dup3(%d, %d) would fail", describe(k), i, op->from,
				 op->to);
		else if (from == NULL)
			fail_msg("%s: op %u dup3(%d, %d) reads a closed fd", describe(k), i,
				 op->from, op->to);
		else if (from->written)
			fail_msg("%s: op %u dup3(%d, %d) reads an fd already overwritten",
				 describe(k), i, op->from, op->to);
		else
			sim_set(s, op->to, from->id, 0, 1);
		break;
	case CFE_FD_CLEAR_CLOEXEC:
		target = sim_find(s, op->to);
		if (op->from != op->to || target == NULL)
			fail_msg("%s: op %u fcntl(%d) on a closed fd", describe(k), i, op->to);
		else if (target->written)
			fail_msg("%s: op %u fcntl(%d) on an fd already overwritten", describe(k), i,
				 op->to);
		else
			target->cloexec = 0;
		break;
	case CFE_FD_CLOSE:
		sim_close(s, op->to);
		break;
	default:
		fail_msg("%s: op %u has unknown kind %d", describe(k), i, op->kind);
	}
}

static void check_places(const struct sim *s, const struct fd_case *k)
{
	for (uint32_t i = 0; i < k->n; i++) {
		const struct sim_fd *e = sim_lookup(s, (int32_t)i);

		if (k->files[i] == -1 && e != NULL)
			fail_msg("%s: fd %u left open", describe(k), i);
		if (k->files[i] >= 0 && (e == NULL || e->id != k->files[i] || e->cloexec))
			fail_msg("%s: fd %u is not file %d without close-on-exec", describe(k), i,
				 k->files[i]);
	}
}

/* At and above n, the table is exactly what it was before the plan. */
static void check_above(const struct sim *before, const struct sim *after, const struct fd_case *k)
{
	for (size_t j = 0; j < before->len; j++) {
		const struct sim_fd *b = &before->fds[j];
		const struct sim_fd *a = sim_lookup(after, b->fd);

		if (b->fd < (int32_t)k->n)
			continue;
		if (a == NULL || a->id != b->id || a->cloexec != b->cloexec)
			fail_msg("%s: fd %d, at or above n, was touched", describe(k), b->fd);
	}
	for (size_t j = 0; j < after->len; j++) {
		const struct sim_fd *a = &after->fds[j];

		if (a->fd >= (int32_t)k->n && sim_lookup(before, a->fd) == NULL)
			fail_msg("%s: fd %d, above n, made by the plan", describe(k), a->fd);
	}
}

/* Plans k, replays it and checks it.  The ops array is larger than n:
 * the surplus must stay untouched. */
static void check_plan(const struct fd_case *k)
{
	static struct sim s, before;
	static struct cfe_fd_op ops[FILES_MAX + 4];
	struct cfe_fd_op untouched;
	int32_t parked[FILES_MAX];

	assert_true(k->n <= FILES_MAX);
	memset(ops, 0xa5, sizeof(ops));
	memset(&untouched, 0xa5, sizeof(untouched));
	sim_init(&s, k, parked);
	before = s;
	cfe_fd_plan(k->files, k->n, parked, ops);
	for (size_t i = k->n; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (memcmp(&ops[i], &untouched, sizeof(untouched)) != 0)
			fail_msg("%s: op %zu written beyond n", describe(k), i);
	for (uint32_t i = 0; i < k->n; i++)
		apply_op(&s, k, i, &ops[i]);
	check_places(&s, k);
	check_above(&before, &s, k);
}

static void check_files(const int32_t *files, uint32_t n, int files_cloexec, uint32_t inherited,
			int32_t other)
{
	const struct fd_case k = {.files = files,
				  .n = n,
				  .files_cloexec = files_cloexec,
				  .inherited = inherited,
				  .other = other};

	check_plan(&k);
}

/* With the caller's files close-on-exec or not, and with fds the child
 * inherits right above n, where the parked copies would otherwise go. */
static void check_files_all_ways(const int32_t *files, uint32_t n)
{
	for (int cloexec = 0; cloexec <= 1; cloexec++) {
		check_files(files, n, cloexec, 0, -1);
		check_files(files, n, cloexec, 3, -1);
		check_files(files, n, cloexec, 0, (int32_t)n);
		check_files(files, n, cloexec, 2, (int32_t)n + 5);
	}
}

/* ---- the cases ---- */

static void test_empty(void **state)
{
	static const int32_t no_files[1] = {-1};
	struct cfe_fd_op op, untouched;

	(void)state;
	memset(&op, 0xa5, sizeof(op));
	memset(&untouched, 0xa5, sizeof(untouched));
	cfe_fd_plan(no_files, 0, NULL, &op);
	assert_memory_equal(&op, &untouched, sizeof(op));
	check_files_all_ways(NULL, 0);
}

/* Parking is needed exactly for an entry below its place. */
static void test_needs_park(void **state)
{
	const int32_t files[] = {-1, 0, 2, 5, 1, 4, INT32_MAX, -1, 7};

	(void)state;
	for (uint32_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		int want = files[i] >= 0 && files[i] < (int32_t)i;

		if (!!cfe_fd_needs_park(files, i) != want)
			fail_msg("entry %u (%d): needs_park %d, want %d", i, files[i],
				 cfe_fd_needs_park(files, i), want);
	}
}

/* Files already in place cost one fcntl each and nothing else. */
static void test_identity(void **state)
{
	const int32_t files[] = {0, 1, 2};
	struct cfe_fd_op ops[3];

	(void)state;
	check_files_all_ways(files, 3);
	cfe_fd_plan(files, 3, NULL, ops);
	for (int32_t i = 0; i < 3; i++) {
		assert_int_equal(ops[i].kind, CFE_FD_CLEAR_CLOEXEC);
		assert_int_equal(ops[i].from, i);
		assert_int_equal(ops[i].to, i);
	}
}

/* The parked copies are read in the order of the entries they stand for. */
static void test_parked_used_in_order(void **state)
{
	const int32_t files[] = {-1, 0, 3, 1};
	const int32_t parked[] = {100, 200};
	struct cfe_fd_op ops[4];

	(void)state;
	cfe_fd_plan(files, 4, parked, ops);
	assert_int_equal(ops[0].kind, CFE_FD_CLOSE);
	assert_int_equal(ops[0].to, 0);
	assert_int_equal(ops[1].kind, CFE_FD_DUP);
	assert_int_equal(ops[1].from, 100);
	assert_int_equal(ops[1].to, 1);
	assert_int_equal(ops[2].kind, CFE_FD_DUP);
	assert_int_equal(ops[2].from, 3);
	assert_int_equal(ops[2].to, 2);
	assert_int_equal(ops[3].kind, CFE_FD_DUP);
	assert_int_equal(ops[3].from, 200);
	assert_int_equal(ops[3].to, 3);
}

static void test_all_permutations_of_three(void **state)
{
	const int32_t perms[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2},
				     {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};

	(void)state;
	for (size_t i = 0; i < 6; i++)
		check_files_all_ways(perms[i], 3);
}

static void test_cycles(void **state)
{
	const int32_t swap[] = {1, 0};
	const int32_t four_cycle[] = {1, 2, 3, 0};
	const int32_t reverse_four_cycle[] = {3, 0, 1, 2};
	const int32_t reverse[] = {7, 6, 5, 4, 3, 2, 1, 0};
	const int32_t two_cycles[] = {1, 0, 3, 2, 5, 4};
	static int32_t long_reverse[300];

	(void)state;
	check_files_all_ways(swap, 2);
	check_files_all_ways(four_cycle, 4);
	check_files_all_ways(reverse_four_cycle, 4);
	check_files_all_ways(reverse, 8);
	check_files_all_ways(two_cycles, 6);
	for (int32_t i = 0; i < 300; i++)
		long_reverse[i] = 299 - i;
	check_files(long_reverse, 300, 1, 4, 310);
}

static void test_duplicates(void **state)
{
	const int32_t fives[] = {5, 5, 5};
	const int32_t zeros[] = {0, 0, 0};
	const int32_t twos[] = {2, 2, 2};
	const int32_t mixed[] = {1, 1, 0, 0};
	const int32_t spread[] = {3, 0, 3, 0, 3};

	(void)state;
	check_files_all_ways(fives, 3);
	check_files_all_ways(zeros, 3);
	check_files_all_ways(twos, 3);
	check_files_all_ways(mixed, 4);
	check_files_all_ways(spread, 5);
}

static void test_closed_entries(void **state)
{
	const int32_t all_closed[] = {-1, -1, -1};
	const int32_t holes[] = {-1, 0, -1, 1};
	const int32_t closed_then_used[] = {2, -1, 0};
	const int32_t closed_place_used[] = {-1, 0, 0};

	(void)state;
	check_files_all_ways(all_closed, 3);
	check_files_all_ways(holes, 4);
	check_files_all_ways(closed_then_used, 3);
	check_files_all_ways(closed_place_used, 3);
}

/* Files at or above n are read where they are and stay untouched. */
static void test_high_fds(void **state)
{
	const int32_t high[] = {10, 11, 12};
	const int32_t at_n[] = {3, 4, 2};
	const int32_t mixed[] = {40, 0, 39, 1};
	const int32_t far[] = {1000000, 0, 1048575};

	(void)state;
	check_files_all_ways(high, 3);
	check_files_all_ways(at_n, 3);
	check_files_all_ways(mixed, 4);
	check_files_all_ways(far, 3);
}

/* An fd no entry names, right above n, is inherited as it was; the
 * parked copies must not be put on it. */
static void test_inherited_fds_above_n_kept(void **state)
{
	const int32_t swap[] = {1, 0};
	const int32_t same[] = {0, 0};
	const int32_t closed_then_zero[] = {-1, 0};

	(void)state;
	for (uint32_t inherited = 0; inherited < 6; inherited++) {
		check_files(swap, 2, 0, inherited, -1);
		check_files(same, 2, 0, inherited, -1);
		check_files(closed_then_zero, 2, 1, inherited, 4);
	}
}

/* Entries near INT32_MAX, which the configuration accepts: no arithmetic
 * on them may overflow (the sanitizer builds catch it). */
static void test_no_overflow_near_int32_max(void **state)
{
	const int32_t top[] = {INT32_MAX, 0, 3};
	const int32_t tops[] = {INT32_MAX, INT32_MAX - 1, INT32_MAX, 1};
	const int32_t late[] = {2, 0, 1, INT32_MAX};

	(void)state;
	check_files_all_ways(top, 3);
	check_files_all_ways(tops, 4);
	check_files_all_ways(late, 4);
}

/* xorshift32: the same cases on every run and every libc. */
static uint32_t next_random(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

static void test_random_plans(void **state)
{
	uint32_t seed = 0x2545f491u;

	(void)state;
	for (int round = 0; round < 2000; round++) {
		int32_t files[8];
		uint32_t n = next_random(&seed) % 9;
		int cloexec = (int)(next_random(&seed) % 2);
		uint32_t inherited = next_random(&seed) % 4;
		int32_t other = (int32_t)(next_random(&seed) % 16) - 1;

		for (uint32_t i = 0; i < n; i++)
			files[i] = (int32_t)(next_random(&seed) % 13) - 1;
		check_files(files, n, cloexec, inherited, other);
	}
}

const struct CMUnitTest fdplan_tests[] = {
    cmocka_unit_test(test_empty),
    cmocka_unit_test(test_needs_park),
    cmocka_unit_test(test_identity),
    cmocka_unit_test(test_parked_used_in_order),
    cmocka_unit_test(test_all_permutations_of_three),
    cmocka_unit_test(test_cycles),
    cmocka_unit_test(test_duplicates),
    cmocka_unit_test(test_closed_entries),
    cmocka_unit_test(test_high_fds),
    cmocka_unit_test(test_inherited_fds_above_n_kept),
    cmocka_unit_test(test_no_overflow_near_int32_max),
    cmocka_unit_test(test_random_plans),
};
const size_t fdplan_tests_len = sizeof(fdplan_tests) / sizeof(fdplan_tests[0]);
