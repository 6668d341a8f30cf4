//go:build !linux

package main

import (
	"errors"
	"io"
	"os"
)

// isTerminal reports false: prompting without echo is implemented on Linux
// only; elsewhere the password comes from --password or standard input.
func isTerminal(*os.File) bool { return false }

func readSecret(*os.File, io.Writer, string) (string, error) {
	return "", errors.New("no terminal support")
}
