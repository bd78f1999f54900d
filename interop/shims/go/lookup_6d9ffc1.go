//go:build !netipc_0d17a9d

package main

// The seed-era library has no lookup methods: no lookup family is offered.
var lookupFamilies = []string{}

func decodeLookup(string, []byte) (answer, bool) { return nil, false }
