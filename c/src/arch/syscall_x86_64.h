/* Raw system calls for x86_64: return the kernel's value (-errno on failure)
 * and never touch errno, which the CLONE_VM child shares with its parent. */
#ifndef CFE_ARCH_SYSCALL_H
#define CFE_ARCH_SYSCALL_H

static inline CFE_CHILD_CODE long cfe_syscall6(long nr, long a1, long a2, long a3, long a4, long a5,
					       long a6)
{
	register long r10 __asm__("r10") = a4;
	register long r8 __asm__("r8") = a5;
	register long r9 __asm__("r9") = a6;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

#endif
