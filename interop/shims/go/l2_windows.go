//go:build windows

package main

// runL2Client: the typed-client scenarios are played on POSIX only (not yet under wine).
func runL2Client(o *options, out map[string]any, notSupported func(string) int) int {
	return notSupported("the typed-client scenarios are not played by the Windows build of this shim")
}
