//go:build linux && cgo && (amd64 || arm64)

package main

// withCore says the C core starts the runs (not the reference's
// fallback, which lacks the parent-death signal and whose judge policy is
// the reference's builder's).
const withCore = true
