module github.com/cforkexec/cforkexec

go 1.22
