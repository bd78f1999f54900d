//go:build netipc_0d17a9d

package main

import (
	"encoding/hex"

	"github.com/netdata/plugin-ipc/go/pkg/netipc/protocol"
)

// The lookup families (spec/lookup.md) through the library's public lookup decoders. The
// library reports the rules with a few generic errors; each is named by the class of the
// first rule that can raise it, so these families are judged with --lenient-errors.
var lookupFamilies = []string{"cgroups_lookup_request", "cgroups_lookup_response",
	"apps_lookup_request", "apps_lookup_response"}

func lookupClass(err error, n int, request bool) string {
	switch err {
	case protocol.ErrTruncated:
		if n < 16 {
			return "LookupTruncated"
		}
		return "LookupDirectoryTruncated"
	case protocol.ErrBadItemCount:
		return "LookupDirectoryTruncated"
	case protocol.ErrBadAlignment:
		return "LookupMisalignedOffset"
	case protocol.ErrOutOfBounds:
		return "LookupEntryOutOfBounds"
	case protocol.ErrMissingNul:
		if request {
			return "CgroupsKeyMissingNul"
		}
		return "LookupStringMissingNul"
	}
	return "LookupBadLayout"
}

type labelled interface {
	Label(index uint32) (protocol.LookupLabelView, error)
}

func lookupLabels(v labelled, count uint16) ([]any, error) {
	out := []any{}
	for k := uint32(0); k < uint32(count); k++ {
		l, err := v.Label(k)
		if err != nil {
			return nil, err
		}
		out = append(out, map[string]any{"key_hex": hex.EncodeToString(l.Key.Bytes()),
			"value_hex": hex.EncodeToString(l.Value.Bytes())})
	}
	return out, nil
}

func decodeLookup(family string, b []byte) (answer, bool) {
	switch family {
	case "cgroups_lookup_request":
		v, err := protocol.DecodeCgroupsLookupRequest(b)
		if err != nil {
			return invalid(lookupClass(err, len(b), true)), true
		}
		paths := []any{}
		for i := uint32(0); i < v.ItemCount; i++ {
			p, err := v.Item(i)
			if err != nil {
				return invalid(lookupClass(err, len(b), true)), true
			}
			paths = append(paths, hex.EncodeToString(p.Bytes()))
		}
		return valid(map[string]any{"paths_hex": paths}), true
	case "apps_lookup_request":
		v, err := protocol.DecodeAppsLookupRequest(b)
		if err != nil {
			return invalid(lookupClass(err, len(b), true)), true
		}
		pids := []any{}
		for i := uint32(0); i < v.ItemCount; i++ {
			p, err := v.Item(i)
			if err != nil {
				return invalid(lookupClass(err, len(b), true)), true
			}
			pids = append(pids, p)
		}
		return valid(map[string]any{"pids": pids}), true
	case "cgroups_lookup_response":
		v, err := protocol.DecodeCgroupsLookupResponse(b)
		if err != nil {
			return invalid(lookupClass(err, len(b), false)), true
		}
		items := []any{}
		for i := uint32(0); i < v.ItemCount; i++ {
			it, err := v.Item(i)
			if err != nil {
				return invalid(lookupClass(err, len(b), false)), true
			}
			labels, err := lookupLabels(it, it.LabelCount)
			if err != nil {
				return invalid(lookupClass(err, len(b), false)), true
			}
			items = append(items, map[string]any{"status": it.Status, "orchestrator": it.Orchestrator,
				"path_hex": hex.EncodeToString(it.Path.Bytes()), "name_hex": hex.EncodeToString(it.Name.Bytes()),
				"labels": labels})
		}
		return valid(map[string]any{"generation": dec(v.Generation), "items": items}), true
	case "apps_lookup_response":
		v, err := protocol.DecodeAppsLookupResponse(b)
		if err != nil {
			return invalid(lookupClass(err, len(b), false)), true
		}
		items := []any{}
		for i := uint32(0); i < v.ItemCount; i++ {
			it, err := v.Item(i)
			if err != nil {
				return invalid(lookupClass(err, len(b), false)), true
			}
			labels, err := lookupLabels(it, it.LabelCount)
			if err != nil {
				return invalid(lookupClass(err, len(b), false)), true
			}
			items = append(items, map[string]any{"status": it.Status, "orchestrator": it.Orchestrator,
				"cgroup_status": it.CgroupStatus, "pid": it.Pid, "ppid": it.Ppid, "uid": it.Uid,
				"starttime": dec(it.Starttime), "comm_hex": hex.EncodeToString(it.Comm.Bytes()),
				"cgroup_path_hex": hex.EncodeToString(it.CgroupPath.Bytes()),
				"cgroup_name_hex": hex.EncodeToString(it.CgroupName.Bytes()), "labels": labels})
		}
		return valid(map[string]any{"generation": dec(v.Generation), "items": items}), true
	}
	return nil, false
}
