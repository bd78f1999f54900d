package main

import (
	"fmt"
	"sort"
	"time"

	"github.com/netdata/plugin-ipc/go/pkg/netipc/protocol"
)

// benchDistinct requests are encoded before the window opens and sent in turn, so the figure
// is the IPC's and the service's, not the encoder's.
const benchDistinct = 64

// bench plays the bench scenario (SHIM-BENCH-001): for --duration-ms, up to --depth requests
// in flight (1 on shared memory), each of --items items, paced to --rate when it is not 0;
// every response is verified. The figures go into `out`.
func (c *clientRun) bench(out map[string]any) {
	o := c.opts
	n := max(o.items, 1)
	depth := max(o.depth, 1)
	if c.l.info().shm {
		depth = 1 // SHM-ONEINFLIGHT-001
	}
	c.o.depth = depth
	payloads := make([][]byte, benchDistinct)
	for r := uint64(0); r < benchDistinct; r++ {
		if n == 1 {
			payloads[r], _ = c.w.request(r, c.size)
			continue
		}
		reqs := make([][]byte, n)
		total := 8*int(n) + 8
		for k := uint32(0); k < n; k++ {
			reqs[k], _ = c.w.request(r*uint64(n)+uint64(k), c.size)
			total += len(reqs[k]) + 8
		}
		buf := make([]byte, total)
		b := protocol.NewBatchBuilder(buf, n)
		for k := uint32(0); k < n; k++ {
			if err := b.Add(reqs[k]); err != nil {
				c.o.failure = fmt.Sprintf("batch encoding failed: %v", err)
				return
			}
		}
		size, _ := b.Finish()
		payloads[r] = buf[:size]
	}
	cpu0 := cpuSeconds()
	sent := make([]time.Time, depth)
	slotID := make([]uint64, depth) // message_id in the slot, 0 = free
	lat := make([]float64, 0, 1<<16)
	start := time.Now()
	end := start.Add(time.Duration(o.durationMs) * time.Millisecond)
	next, inflight := uint64(0), uint32(0)
	for {
		for inflight < depth && time.Now().Before(end) {
			slot := next % uint64(depth)
			if slotID[slot] != 0 {
				break
			}
			if o.rate > 0 {
				due := start.Add(time.Duration(float64(next) / o.rate * float64(time.Second)))
				if !due.Before(end) || (inflight > 0 && time.Now().Before(due)) {
					break
				}
				time.Sleep(time.Until(due))
			}
			h := reqHeader(c.w.method(), next+1)
			if n > 1 {
				h.Flags = protocol.FlagBatch
				h.ItemCount = n
			}
			sent[slot] = time.Now()
			slotID[slot] = next + 1
			if e := c.l.send(&h, payloads[next%benchDistinct]); e != nil {
				c.o.err = e
				return
			}
			next++
			inflight++
			c.o.requests++
			c.o.items += uint64(n)
		}
		if inflight == 0 {
			break
		}
		rh, rp, e := c.l.receive(o.timeoutMs)
		if e != nil {
			c.o.err = e
			return
		}
		now := time.Now()
		id := rh.MessageID
		slot := uint64(0)
		if id != 0 {
			slot = (id - 1) % uint64(depth)
		}
		if id == 0 || slotID[slot] != id {
			c.o.failure = fmt.Sprintf("response message_id %d is not in flight", id)
			return
		}
		want := reqHeader(c.w.method(), id)
		if n > 1 {
			want.Flags = protocol.FlagBatch
			want.ItemCount = n
		}
		if !checkResponse(rh, want, &c.o) {
			return
		}
		r := (id - 1) % benchDistinct
		if n == 1 {
			if f := c.w.verify(r, c.size, rp); f != "" {
				c.o.failure = f
				return
			}
			c.o.verified++
		} else {
			for k := uint32(0); k < n; k++ {
				item, err := protocol.BatchItemGet(rp, n, k)
				if err != nil {
					c.o.failure = fmt.Sprintf("batch item %d of response %d does not decode: %v", k, id, err)
					return
				}
				if f := c.w.verify(r*uint64(n)+uint64(k), c.size, item); f != "" {
					c.o.failure = f
					return
				}
				c.o.verified++
			}
		}
		lat = append(lat, float64(now.Sub(sent[slot]).Nanoseconds())/1000)
		slotID[slot] = 0
		inflight--
	}
	secs := time.Since(start).Seconds()
	sort.Float64s(lat)
	out["duration_ms"] = o.durationMs
	out["target_rate"] = o.rate
	out["depth"] = o.depth
	out["batch_items"] = n
	out["seconds"] = secs
	out["rate"] = float64(c.o.requests) / secs
	out["items_rate"] = float64(c.o.items) / secs
	out["p50_us"] = percentile(lat, 0.50)
	out["p95_us"] = percentile(lat, 0.95)
	out["p99_us"] = percentile(lat, 0.99)
	if cpu0 >= 0 {
		out["client_cpu_s"] = cpuSeconds() - cpu0
	} else {
		out["client_cpu_s"] = nil
	}
}

// percentile is the nearest-rank percentile of sorted values (0 for none).
func percentile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(q*float64(len(sorted)) + 0.999999999)
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}
