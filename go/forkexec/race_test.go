//go:build linux && cgo && (amd64 || arm64) && race

package forkexec_test

// raceEnabled: built with -race, whose shadow memory doubles the resident
// sets that the Maxrss tests measure.
const raceEnabled = true
