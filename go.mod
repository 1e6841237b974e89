module github.com/cforkexec/cforkexec

go 1.25.0

require github.com/criyle/go-sandbox v0.13.4

require golang.org/x/sys v0.43.0
