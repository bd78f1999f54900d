//go:build windows

package main

// cpuSeconds is not read on Windows: the result line then says null (SHIM-BENCH-001).
func cpuSeconds() float64 { return -1 }
