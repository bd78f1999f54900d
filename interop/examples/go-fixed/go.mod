module netipc-cts/examples/gofixed

go 1.21
