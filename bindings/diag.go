package bindings

/*
#include <malloc.h>
#include "cforkexec.h"
*/
import "C"

// CHeapInUse is the number of bytes the C heap (glibc malloc) has handed
// out and not taken back; tests use it to show that starts leak no C memory.
func CHeapInUse() int {
	return int(C.mallinfo2().uordblks)
}

// LocationName is the C library's name of an error location.
func LocationName(location int) string {
	return C.GoString(C.cfe_location_name(C.uint32_t(location)))
}

// ABIVersion is the ABI version of the C library compiled in.
func ABIVersion() int {
	return int(C.cfe_abi_version())
}
