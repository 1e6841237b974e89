//go:build linux && !(cgo && (amd64 || arm64))

package main

const withCore = false
