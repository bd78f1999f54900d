package main

// The suite's deterministic snapshot generator (SHIM-SNAP-001): item i depends only on
// (seed, i), so the items for K are a prefix of those for any larger K. Same SplitMix64
// streams, length cycles and special item 3 as the suite's generator.

type splitMix64 struct{ state uint64 }

func (r *splitMix64) next() uint64 {
	r.state += 0x9e3779b97f4a7c15
	z := r.state
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// between returns a value in [lo, hi].
func (r *splitMix64) between(lo, hi uint64) uint64 { return lo + r.next()%(hi-lo+1) }

const (
	snapHeaderStream uint64 = 0x6e69706320686472
	snapItemStream   uint64 = 0x6e69706320697465
)

type snapItem struct {
	hash, options, enabled uint32
	name, path             []byte
}

type snapshotFixture struct {
	systemdEnabled uint32
	generation     uint64
	items          []snapItem
}

func randomBytes(r *splitMix64, n uint64) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(1 + r.next()%255) // never NUL
	}
	return b
}

func snapNameLength(r *splitMix64, index uint64) uint64 {
	switch index % 7 {
	case 0:
		return 0
	case 1:
		return 1
	case 6:
		return r.between(200, 1023)
	default:
		return r.between(1, 48)
	}
}

func snapPathLength(r *splitMix64, index uint64) uint64 {
	switch index % 5 {
	case 0:
		return 0
	case 4:
		return r.between(256, 2047)
	default:
		return r.between(1, 96)
	}
}

func makeSnapItem(seed, index uint64) snapItem {
	base := splitMix64{seed ^ snapItemStream}
	r := splitMix64{base.next() + index}
	r.next() // decorrelate neighbouring indexes
	var it snapItem
	it.hash = uint32(r.next())
	it.options = uint32(r.next())
	e := r.next()
	if e%8 == 0 {
		it.enabled = uint32(e >> 32)
	} else {
		it.enabled = uint32((e >> 3) & 1)
	}
	if index == 3 {
		for b := 1; b <= 255; b++ {
			it.name = append(it.name, byte(b))
		}
		for i := len(it.name) - 1; i >= 0; i-- {
			it.path = append(it.path, it.name[i])
		}
		return it
	}
	it.name = randomBytes(&r, snapNameLength(&r, index))
	it.path = randomBytes(&r, snapPathLength(&r, index))
	return it
}

func generateSnapshot(seed uint64, k uint32) snapshotFixture {
	r := splitMix64{seed ^ snapHeaderStream}
	var s snapshotFixture
	s.systemdEnabled = uint32(r.next() & 1)
	s.generation = r.next()
	for i := uint64(0); i < uint64(k); i++ {
		s.items = append(s.items, makeSnapItem(seed, i))
	}
	return s
}
