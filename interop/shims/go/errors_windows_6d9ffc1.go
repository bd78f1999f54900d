//go:build windows && !netipc_0d17a9d

package main

func revisionErrorKind(err error) string { return "" }
