//go:build windows

package main

// The cache scenario is played on POSIX only; a Windows build reports it unsupported.
func newCacheAPI(o *options) cacheAPI { return nil }
