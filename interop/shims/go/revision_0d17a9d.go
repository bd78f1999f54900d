//go:build netipc_0d17a9d

package main

// apiRevision names the library API this build was compiled against (chosen by the build
// module from the checkout's sources).
const apiRevision = "0d17a9d-era API"
