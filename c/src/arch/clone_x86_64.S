/*
 * long cfe_raw_clone(long nr, long a1, long a2, int (*fn)(void *), void *arg,
 *                    long parent_tid)
 *
 * Makes the clone3 (a1 = args, a2 = size) or clone (a1 = flags, a2 = stack
 * top, parent_tid = where CLONE_PIDFD puts the pidfd; clone3 ignores it)
 * system call.  The parent gets the kernel's return value.  The child
 * starts on the new stack, where no C frame of the parent exists, so it must
 * not return: it calls fn(arg) and exits with its result.  fn and arg ride in
 * r9 and r8, which the kernel preserves and which clone ignores without
 * CLONE_SETTLS.
 */
	.text
	.globl	cfe_raw_clone
	.hidden	cfe_raw_clone
	.type	cfe_raw_clone, @function
cfe_raw_clone:
	.cfi_startproc
	mov	%rdi, %rax
	mov	%rsi, %rdi
	mov	%rdx, %rsi
	mov	%r9, %rdx
	xor	%r10d, %r10d
	mov	%rcx, %r9
	syscall
	test	%rax, %rax
	jnz	1f
	.cfi_undefined rip
	xor	%ebp, %ebp
	mov	%r8, %rdi
	call	*%r9
	mov	%eax, %edi
	mov	$60, %eax
	syscall
	hlt
1:	ret
	.cfi_endproc
	.size	cfe_raw_clone, .-cfe_raw_clone
	.section .note.GNU-stack, "", @progbits
