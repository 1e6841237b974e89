/* A program whose static array alone (300 MiB of bss) is over a 256M
 * memory limit: cfe-run must call that memory_limit without starting it. */
static char big[300 << 20];

int main(void)
{
	big[0] = 1;
	return big[sizeof big - 1];
}
