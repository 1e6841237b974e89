/*
 * soak STARTS STORM_STARTS: many starts from many threads at once, and
 * starts under a storm of signals.  The probe is $CFE_PROBE (else
 * build/probe).
 *
 * Mixed: STARTS starts from 16 threads, of every kind that succeeds or
 * fails (a missing program, a refusing sync callback, a bad rlimit, a
 * user namespace, an invalid configuration), each checked for its exact
 * outcome.  Storm: STORM_STARTS starts from 16 threads while another
 * thread sends SIGUSR1, SIGUSR2 and SIGALRM 1000 times a second each to
 * this process group (this process, whose handlers run without SA_RESTART,
 * and every child before its setsid).  A handler records getpid(): it must
 * only ever have run in this process, never in a child that shares our
 * memory; a child that the storm kills is an accepted outcome.
 *
 * Each phase runs once small to warm up (thread stacks, malloc arenas,
 * the library's arena pool), then in full, and must leave the open fds,
 * the threads, the mappings and the C heap as they were, and no child.
 * A watchdog ends the program when it stops making progress.  Exits 0
 * when everything held.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "children.h"
#include "cforkexec.h"

#define THREADS		16
#define WARM_UP_STARTS	(THREADS * 16)
#define NO_SUCH_PROGRAM "/nonexistent/cforkexec-soak"
#define REFUSAL		7
#define RECORDS		4096
#define TICK_NS		1000000L
/* With no start finished for this long, the program is hung. */
#define STALL_S 60

static const char *probe;
static pid_t self;

/* ---- failures: the first one's text, and a count ---- */

static atomic_int failures;
static pthread_mutex_t first_failure_lock = PTHREAD_MUTEX_INITIALIZER;
static char first_failure[512];

static void failed(const char *format, ...)
{
	va_list ap;

	if (atomic_fetch_add(&failures, 1) != 0)
		return;
	pthread_mutex_lock(&first_failure_lock);
	va_start(ap, format);
	vsnprintf(first_failure, sizeof(first_failure), format, ap);
	va_end(ap);
	pthread_mutex_unlock(&first_failure_lock);
}

/* ---- the storm's handlers ---- */

static volatile pid_t handler_pids[RECORDS];
static atomic_uint handled;

static void record_pid(int sig)
{
	unsigned n = atomic_fetch_add(&handled, 1);

	(void)sig;
	handler_pids[n % RECORDS] = getpid();
}

static const int storm_signals[] = {SIGUSR1, SIGUSR2, SIGALRM};

/* ---- progress and the watchdog ---- */

static atomic_long finished;
static atomic_int done;

/* Runs with every signal blocked, so that the storm cannot cut its sleep
 * short. */
static void *watchdog(void *arg)
{
	const struct timespec period = {.tv_sec = STALL_S};
	long last = -1;

	(void)arg;
	while (!atomic_load(&done)) {
		long now;

		nanosleep(&period, NULL);
		now = atomic_load(&finished);
		if (!atomic_load(&done) && now == last) {
			fprintf(stderr, "soak: hung: no start finished in %d s (%ld so far)\n",
				STALL_S, now);
			_exit(3);
		}
		last = now;
	}
	return NULL;
}

/* ---- one start ---- */

static int32_t sync_verdict(void *context, int32_t pid)
{
	(void)pid;
	return *(const int32_t *)context;
}

static const int32_t go_on = 0, refuse = REFUSAL;

enum kind {
	KIND_PLAIN,
	KIND_MISSING,
	KIND_SYNC_REFUSES,
	KIND_BAD_RLIMIT,
	KIND_USERNS,
	KIND_SYNC,
	KIND_INVALID,
	KIND_USERNS_MISSING,
	KINDS
};

static const char *const kind_names[KINDS] = {
    "plain",	      "missing program",
    "refusing sync",  "bad rlimit",
    "user namespace", "sync",
    "invalid config", "missing program in a user namespace",
};

/* What a kind must end in: pid > 0 and exit 0, or this error record. */
struct outcome {
	int succeeds;
	int err_no;
	uint32_t location;
};

static struct outcome expected(enum kind k)
{
	switch (k) {
	case KIND_MISSING:
	case KIND_USERNS_MISSING:
		return (struct outcome){0, ENOENT, CFE_LOC_EXECVE};
	case KIND_SYNC_REFUSES:
		return (struct outcome){0, REFUSAL, CFE_LOC_SYNC_CALLBACK};
	case KIND_BAD_RLIMIT:
		return (struct outcome){0, EINVAL, CFE_LOC_SETRLIMIT};
	case KIND_INVALID:
		return (struct outcome){0, EINVAL, CFE_LOC_NONE};
	default:
		return (struct outcome){1, 0, 0};
	}
}

static int storm_signal(int sig)
{
	return sig == SIGUSR1 || sig == SIGUSR2 || sig == SIGALRM;
}

static int wait_child(pid_t pid, int *status)
{
	pid_t r;

	do
		r = waitpid(pid, status, 0);
	while (r < 0 && errno == EINTR);
	return r == pid ? 0 : -1;
}

/* Start one of kind k and check how it ended; in a storm, a child killed
 * by one of the storm's signals is fine.  Returns 1 when it was. */
static int one_start(enum kind k, int storm)
{
	static const struct cfe_rlimit bad_rlimit = {.resource = 999, .cur = 1, .max = 1};
	const char *args[] = {
	    k == KIND_MISSING || k == KIND_USERNS_MISSING ? NO_SUCH_PROGRAM : probe, "--exit", "0"};
	struct cfe_config c = {.size = sizeof(c), .args = args, .args_len = 3};
	struct outcome want = expected(k);
	struct cfe_error err = {0};
	int32_t pid;
	int status;

	if (k == KIND_SYNC_REFUSES || k == KIND_SYNC || k == KIND_USERNS) {
		c.sync_fn = sync_verdict;
		c.sync_context = (void *)(k == KIND_SYNC_REFUSES ? &refuse : &go_on);
	}
	if (k == KIND_BAD_RLIMIT) {
		c.rlimits = &bad_rlimit;
		c.rlimits_len = 1;
	}
	if (k == KIND_USERNS || k == KIND_USERNS_MISSING)
		c.clone_flags = CLONE_NEWUSER;
	if (k == KIND_INVALID)
		c.pad0 = 1;
	pid = cfe_start(&c, &err, NULL);
	atomic_fetch_add(&finished, 1);
	if (pid > 0) {
		if (wait_child(pid, &status) != 0) {
			failed("%s: waitpid(%d): %s", kind_names[k], pid, strerror(errno));
			return 0;
		}
		if (storm && WIFSIGNALED(status) && storm_signal(WTERMSIG(status)))
			return 1;
		if (!want.succeeds || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failed("%s: started pid %d, which ended with status %#x", kind_names[k],
			       pid, status);
		return 0;
	}
	/* A child that owed the parent a report and was killed first. */
	if (storm && err.err_no == EPIPE && err.location == CFE_LOC_CHILD_DIED)
		return 1;
	if (want.succeeds || err.err_no != want.err_no || err.location != want.location ||
	    err.index != 0)
		failed("%s: start failed with {%s, %s, %d}", kind_names[k], strerror(err.err_no),
		       cfe_location_name(err.location), err.index);
	return 0;
}

/* ---- a phase: THREADS threads sharing the starts ---- */

struct worker {
	pthread_t thread;
	int first, starts, storm;
	int killed; /* children the storm killed */
};

static atomic_int signals_flowing;

static void *work(void *arg)
{
	struct worker *w = arg;
	sigset_t storm_set;

	if (w->storm) {
		sigemptyset(&storm_set);
		for (size_t i = 0; i < 3; i++)
			sigaddset(&storm_set, storm_signals[i]);
		pthread_sigmask(SIG_UNBLOCK, &storm_set, NULL);
		while (!atomic_load(&signals_flowing))
			sched_yield();
	}
	for (int i = 0; i < w->starts; i++)
		w->killed += one_start((enum kind)((w->first + i) % KINDS), w->storm);
	return NULL;
}

static atomic_int storm_over;
static long ticks;

static void timespec_add_ns(struct timespec *t, long ns)
{
	t->tv_nsec += ns;
	while (t->tv_nsec >= 1000000000L) {
		t->tv_nsec -= 1000000000L;
		t->tv_sec++;
	}
}

/* Every tick, each storm signal to our process group. */
static void *signaller(void *arg)
{
	struct timespec next;

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!atomic_load(&storm_over)) {
		for (size_t i = 0; i < 3; i++)
			kill(0, storm_signals[i]);
		ticks++;
		atomic_store(&signals_flowing, 1);
		timespec_add_ns(&next, TICK_NS);
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR)
			;
	}
	return NULL;
}

/* Run starts (kinds in turn) from THREADS threads; returns the children
 * the storm killed. */
static int run_phase(int starts, int storm)
{
	struct worker workers[THREADS];
	pthread_t sig_thread;
	int killed = 0, next = 0;

	if (storm) {
		ticks = 0;
		atomic_store(&storm_over, 0);
		atomic_store(&signals_flowing, 0);
		if (pthread_create(&sig_thread, NULL, signaller, NULL) != 0) {
			failed("pthread_create: signaller");
			return 0;
		}
	}
	for (int i = 0; i < THREADS; i++) {
		workers[i] = (struct worker){.first = next,
					     .starts = starts / THREADS + (i < starts % THREADS),
					     .storm = storm};
		next += workers[i].starts;
		if (pthread_create(&workers[i].thread, NULL, work, &workers[i]) != 0) {
			fprintf(stderr, "soak: pthread_create failed\n");
			exit(2);
		}
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(workers[i].thread, NULL);
		killed += workers[i].killed;
	}
	if (storm) {
		atomic_store(&storm_over, 1);
		pthread_join(sig_thread, NULL);
	}
	return killed;
}

/* ---- what a phase must not leave behind ---- */

/* Children of ours, zombies included, seen in /proc and by waitpid. */
static int count_children(void)
{
	int n = count_own_children();

	if (n >= 0 && (waitpid(-1, NULL, WNOHANG | __WALL) != -1 || errno != ECHILD))
		n++;
	return n;
}

struct usage {
	int fds, threads, maps, children;
	size_t heap;
};

static struct usage measure(void)
{
	struct usage u;

	u.fds = count_entries("/proc/self/fd");
	u.threads = count_entries("/proc/self/task");
	u.maps = count_lines("/proc/self/maps");
	u.children = count_children();
	u.heap = mallinfo2().uordblks;
	return u;
}

static void compare(const char *phase, const struct usage *before, const struct usage *after)
{
	printf("soak: %s: fds %d -> %d, threads %d -> %d, mappings %d -> %d, children %d, "
	       "C heap %zu -> %zu B\n",
	       phase, before->fds, after->fds, before->threads, after->threads, before->maps,
	       after->maps, after->children, before->heap, after->heap);
	if (after->fds != before->fds || after->threads != before->threads ||
	    after->maps != before->maps || after->children != 0 || after->heap != before->heap)
		failed("%s left something behind (see above)", phase);
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void mixed(int starts)
{
	struct usage before, after;
	struct timespec t0;

	run_phase(WARM_UP_STARTS, 0);
	before = measure();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	run_phase(starts, 0);
	printf("soak: %d mixed starts (%d kinds) from %d threads in %.1f s\n", starts, KINDS,
	       THREADS, seconds_since(&t0));
	after = measure();
	compare("mixed", &before, &after);
}

/* The storm's set-up: our own process group (kill(0) must reach nobody
 * else), handlers without SA_RESTART, the signals blocked in this thread
 * (and so in the signaller) so that the workers take them. */
static void storm(int starts)
{
	struct sigaction sa = {.sa_handler = record_pid}, ign = {.sa_handler = SIG_IGN};
	struct usage before, after;
	pid_t pgid = getpgid(0);
	sigset_t set, old_mask;
	struct timespec t0;
	unsigned seen;
	int killed;

	if (setpgid(0, 0) != 0) {
		failed("setpgid: %s", strerror(errno));
		return;
	}
	sigemptyset(&set);
	for (size_t i = 0; i < 3; i++) {
		sigaddset(&set, storm_signals[i]);
		sigaction(storm_signals[i], &sa, NULL);
	}
	pthread_sigmask(SIG_BLOCK, &set, &old_mask);

	run_phase(WARM_UP_STARTS, 1);
	before = measure();
	seen = atomic_load(&handled);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	killed = run_phase(starts, 1);
	printf("soak: %d starts from %d threads under %ld ticks of 3 signals in %.1f s: "
	       "%u handled, %d children killed by them\n",
	       starts, THREADS, ticks, seconds_since(&t0), atomic_load(&handled) - seen, killed);
	after = measure();
	compare("storm", &before, &after);

	/* What is still pending is dropped, not handled after the checks. */
	for (size_t i = 0; i < 3; i++)
		sigaction(storm_signals[i], &ign, NULL);
	pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
	if (setpgid(0, pgid) != 0)
		failed("setpgid back: %s", strerror(errno));

	seen = atomic_load(&handled);
	if (seen == 0)
		failed("storm: no handler ran");
	for (unsigned i = 0; i < seen && i < RECORDS; i++)
		if (handler_pids[i] != self)
			failed("storm: a handler ran in pid %d, not in this process (%d)",
			       (int)handler_pids[i], (int)self);
}

int main(int argc, char **argv)
{
	sigset_t all, old_mask;
	pthread_t dog;
	int starts, storm_starts;

	if (argc != 3 || (starts = atoi(argv[1])) <= 0 || (storm_starts = atoi(argv[2])) <= 0) {
		fprintf(stderr, "usage: %s STARTS STORM_STARTS\n", argv[0]);
		return 2;
	}
	/* Line-buffered, and its buffer allocated now, before any measure. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("soak: %d mixed starts, then %d under a signal storm, from %d threads\n", starts,
	       storm_starts, THREADS);
	if (geteuid() != 0) {
		printf("soak: skipped, needs root (user namespaces)\n");
		return 0;
	}
	probe = getenv("CFE_PROBE") ? getenv("CFE_PROBE") : "build/probe";
	self = getpid();
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old_mask);
	if (pthread_create(&dog, NULL, watchdog, NULL) != 0)
		return 2;
	pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
	pthread_detach(dog);

	mixed(starts);
	storm(storm_starts);

	atomic_store(&done, 1);
	if (atomic_load(&failures) != 0) {
		fprintf(stderr, "soak: %d failures, the first: %s\n", atomic_load(&failures),
			first_failure);
		return 1;
	}
	printf("soak: ok\n");
	return 0;
}
