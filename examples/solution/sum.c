/* A judge's sample solution: print the sum of the integers on standard
 * input.  `make run` compiles it and judges it with cfe-run on sum.in. */
#include <stdio.h>

int main(void)
{
	long long sum = 0, x;
	while (scanf("%lld", &x) == 1)
		sum += x;
	printf("%lld\n", sum);
	return 0;
}
