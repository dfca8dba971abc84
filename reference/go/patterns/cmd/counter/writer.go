package main

import (
	"io"
	"os"
)

// writer turns a nil *os.File into a nil io.Writer (quiet).
func writer(f *os.File) io.Writer {
	if f == nil {
		return nil
	}
	return f
}
