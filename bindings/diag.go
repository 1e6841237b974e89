//go:build linux && cgo && (amd64 || arm64)

package bindings

/*
#include <malloc.h>
#include "cforkexec.h"

// mallinfo2 is glibc 2.33's; elsewhere the figure is not available.
static long long heap_in_use(void)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
	return (long long)mallinfo2().uordblks;
#else
	return -1;
#endif
}
*/
import "C"

// CHeapInUse is the number of bytes glibc's main malloc arena has handed
// out and not taken back, or -1 where that is not known (glibc before 2.33,
// other C libraries); tests use it to show that starts leak no C memory.
func CHeapInUse() int {
	return int(C.heap_in_use())
}

// LocationName is the C library's name of an error location.
func LocationName(location int) string {
	return C.GoString(C.cfe_location_name(C.uint32_t(location)))
}

// ABIVersion is the ABI version of the C library compiled in.
func ABIVersion() int {
	return int(C.cfe_abi_version())
}
