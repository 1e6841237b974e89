/* Counting this process's children from /proc, zombies included: the
 * suites' proof that a start left no process behind.  No cmocka here, so
 * that the soak program can use it too. */
#ifndef CFE_TEST_CHILDREN_H
#define CFE_TEST_CHILDREN_H

/* How many processes (zombies included) have this process as parent, or
 * -1 when /proc cannot be read. */
int count_own_children(void);

#endif
