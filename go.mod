module github.com/cforkexec/cforkexec

go 1.25.0

require (
	github.com/criyle/go-sandbox v0.13.4
	github.com/elastic/go-seccomp-bpf v1.6.0
	golang.org/x/sys v0.43.0
)

require golang.org/x/net v0.53.0 // indirect
