//go:build linux && !(cgo && (amd64 || arm64))

package forkexec

import reference "github.com/criyle/go-sandbox/pkg/forkexec"

// UnshareFlags are the namespace flags CloneFlags may carry: the
// reference's value.
const UnshareFlags = reference.UnshareFlags

// ErrorLocation names the step of the child that failed: the reference's
// type where the C core does not run.
type ErrorLocation = reference.ErrorLocation

// ChildError is a step of the child that failed: the reference's type
// where the C core does not run.
type ChildError = reference.ChildError

// The steps of the child: the reference's values.
const (
	LocClone             = reference.LocClone
	LocCloseWrite        = reference.LocCloseWrite
	LocUnshareUserRead   = reference.LocUnshareUserRead
	LocGetPid            = reference.LocGetPid
	LocKeepCapability    = reference.LocKeepCapability
	LocSetGroups         = reference.LocSetGroups
	LocSetGid            = reference.LocSetGid
	LocSetUid            = reference.LocSetUid
	LocDup3              = reference.LocDup3
	LocFcntl             = reference.LocFcntl
	LocSetSid            = reference.LocSetSid
	LocIoctl             = reference.LocIoctl
	LocMountRoot         = reference.LocMountRoot
	LocMountTmpfs        = reference.LocMountTmpfs
	LocMountChdir        = reference.LocMountChdir
	LocMount             = reference.LocMount
	LocMountMkdir        = reference.LocMountMkdir
	LocPivotRoot         = reference.LocPivotRoot
	LocUmount            = reference.LocUmount
	LocUnlink            = reference.LocUnlink
	LocMountRootReadonly = reference.LocMountRootReadonly
	LocChdir             = reference.LocChdir
	LocSetRlimit         = reference.LocSetRlimit
	LocSetNoNewPrivs     = reference.LocSetNoNewPrivs
	LocDropCapability    = reference.LocDropCapability
	LocSetCap            = reference.LocSetCap
	LocPtraceMe          = reference.LocPtraceMe
	LocStop              = reference.LocStop
	LocSeccomp           = reference.LocSeccomp
	LocSyncWrite         = reference.LocSyncWrite
	LocSyncRead          = reference.LocSyncRead
	LocExecve            = reference.LocExecve
)
