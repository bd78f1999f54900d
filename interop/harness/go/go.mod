module netipc-cts/harness

go 1.21
