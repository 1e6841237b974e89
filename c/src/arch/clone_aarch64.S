/*
 * long cfe_raw_clone(long nr, long a1, long a2, int (*fn)(void *), void *arg,
 *                    long parent_tid)
 *
 * Makes the clone3 (a1 = args, a2 = size) or clone (a1 = flags, a2 = stack
 * top, parent_tid = where CLONE_PIDFD puts the pidfd; clone3 ignores it)
 * system call.  The parent gets the kernel's return value.  The child
 * starts on the new stack, where no C frame of the parent exists, so it must
 * not return: it calls fn(arg) and exits with its result.  fn and arg ride in
 * x9 and x10, which the kernel preserves across the call.
 */
	.text
	.globl	cfe_raw_clone
	.hidden	cfe_raw_clone
	.type	cfe_raw_clone, %function
cfe_raw_clone:
	mov	x8, x0
	mov	x0, x1
	mov	x1, x2
	mov	x9, x3
	mov	x10, x4
	mov	x2, x5
	mov	x3, xzr
	mov	x4, xzr
	svc	#0
	cbnz	x0, 1f
	mov	x29, xzr
	mov	x30, xzr
	mov	x0, x10
	blr	x9
	mov	x8, #93
	svc	#0
	brk	#0
1:	ret
	.size	cfe_raw_clone, .-cfe_raw_clone
	.section .note.GNU-stack, "", %progbits
