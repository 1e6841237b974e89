//go:build linux && cgo && (amd64 || arm64) && !race

package forkexec_test

// raceEnabled: built with -race (see race_test.go).
const raceEnabled = false
