// Package harness replays the netipc golden vectors (vectors/*.json) against your own codec
// from `go test`. It depends on the standard library only.
//
// You implement Codec (and optionally Encoder), or fill a Funcs table with one function per
// family, and call Run from a test:
//
//	func TestVectors(t *testing.T) {
//		harness.Run(t, "path/to/netipc-cts/vectors", myCodec{})
//	}
//
// Every check becomes a subtest named family/id-name (".encode" for an encoding check): it
// passes only on positive evidence (the same fields, the same error class, the same bytes),
// fails with the case's requirement IDs and what differed, or is skipped with a reason when
// your codec answers Unsupported. Skips are never passes.
package harness

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// SchemaVersion is the vector file schema this harness reads (vectors/schema/).
const SchemaVersion = 1

// Case is one vector case. Numbers in Context and Fields are json.Number; 64-bit values are
// decimal strings, as in the files. Use Uint to read either.
type Case struct {
	File         string   // the file it came from
	Family       string   // e.g. "outer_header"
	Op           string   // decode, or decide / check_ack / names for the handshake and name families
	ID           int      // position in its file, from 1
	Name         string   // stable kebab-case key
	Requirements []string // spec requirement IDs
	Comment      string
	Flags        []string
	Result       string // what the contract expects: valid, invalid or acceptable
	// The input: Bytes when HasBytes (a hex case; possibly empty), else Packets for a
	// packets case, else nothing but Context.
	Bytes    []byte
	HasBytes bool
	Packets  [][]byte
	Context  map[string]any
	Fields   map[string]any // expected fields (valid cases; acceptable ones the reference accepts)
	Error    string         // expected error class (invalid cases; acceptable ones the reference rejects)
}

// Key names the case in reports: family/id-name.
func (c *Case) Key() string { return fmt.Sprintf("%s/%d-%s", c.Family, c.ID, c.Name) }

// HasFlag tells whether the case carries a flag such as "Canonical".
func (c *Case) HasFlag(flag string) bool {
	for _, f := range c.Flags {
		if f == flag {
			return true
		}
	}
	return false
}

// Uint reads an unsigned integer at a path of object keys below m (a Context or Fields map),
// whether it is a JSON number or a decimal string. ok is false when it is absent or not an
// unsigned integer that fits 64 bits.
func Uint(m map[string]any, path ...string) (v uint64, ok bool) {
	var cur any = m
	for _, key := range path {
		obj, isObj := cur.(map[string]any)
		if !isObj {
			return 0, false
		}
		if cur, isObj = obj[key]; !isObj {
			return 0, false
		}
	}
	switch x := cur.(type) {
	case json.Number:
		v, err := strconv.ParseUint(string(x), 10, 64)
		return v, err == nil
	case string:
		v, err := strconv.ParseUint(x, 10, 64)
		return v, err == nil
	}
	return 0, false
}

type outcomeKind int

const (
	kindNone outcomeKind = iota
	kindValid
	kindInvalid
	kindUnsupported
	kindEncoded
)

// Outcome is what your codec answers for one case; build it with Valid, Invalid, Rejected,
// Unsupported or Encoded. The zero Outcome is a fail ("no outcome").
type Outcome struct {
	kind   outcomeKind
	fields any
	class  string
	packet []byte
	reason string
	bytes  []byte
}

// Valid: the input decodes to fields (any value that marshals to the expected JSON object;
// give 64-bit values as decimal strings, byte strings as lower-case hex).
func Valid(fields any) Outcome { return Outcome{kind: kindValid, fields: fields} }

// Invalid: the input is rejected with this error class (e.g. "HeaderBadMagic").
func Invalid(class string) Outcome { return Outcome{kind: kindInvalid, class: class} }

// Rejected: for handshake_decide, the server rejects with class "Status<Name>" and sends
// packet, which must be the canonical rejection HELLO_ACK.
func Rejected(class string, packet []byte) Outcome {
	return Outcome{kind: kindInvalid, class: class, packet: packet}
}

// Unsupported: your codec does not handle this case; it is reported as skipped with reason.
func Unsupported(reason string) Outcome { return Outcome{kind: kindUnsupported, reason: reason} }

// Encoded: the bytes an encoder produced from the case's fields.
func Encoded(b []byte) Outcome { return Outcome{kind: kindEncoded, bytes: b} }

// Codec decodes (or decides, checks, names: see Case.Op) the input of one case.
type Codec interface {
	Decode(c *Case) Outcome
}

// Encoder is optional: it encodes c.Fields (with c.Context) of a valid Canonical case, which
// must give back c.Bytes. Without it those checks are skipped.
type Encoder interface {
	Encode(c *Case) Outcome
}

// Funcs is a Codec and Encoder from one function per family; a family without a function
// is skipped ("no decoder for family X").
type Funcs struct {
	Decoders map[string]func(*Case) Outcome
	Encoders map[string]func(*Case) Outcome
}

// Decode calls the family's decoder.
func (f Funcs) Decode(c *Case) Outcome {
	if fn := f.Decoders[c.Family]; fn != nil {
		return fn(c)
	}
	return Unsupported("no decoder for family " + c.Family)
}

// Encode calls the family's encoder.
func (f Funcs) Encode(c *Case) Outcome {
	if fn := f.Encoders[c.Family]; fn != nil {
		return fn(c)
	}
	return Unsupported("no encoder for family " + c.Family)
}

// Options change how verdicts are reached.
type Options struct {
	// LenientErrors passes a rejection of an invalid case with another error class, noting
	// the difference (for a decoder that does not name our error classes).
	LenientErrors bool
}

// Status of one check.
type Status string

// The three statuses a check can end with.
const (
	Pass Status = "pass"
	Fail Status = "fail"
	Skip Status = "skip"
)

// Verdict is the outcome of one check of one case.
type Verdict struct {
	Case    *Case
	Encode  bool // the encoding check of a valid Canonical case, not its decode
	Status  Status
	Message string
}

// Key names the check: the case key, with ".encode" for an encoding check.
func (v Verdict) Key() string {
	if v.Encode {
		return v.Case.Key() + ".encode"
	}
	return v.Case.Key()
}

// Line is the report line: status, key, requirement IDs and message.
func (v Verdict) Line() string {
	line := fmt.Sprintf("%s %s [%s]", strings.ToUpper(string(v.Status)), v.Key(),
		strings.Join(v.Case.Requirements, ","))
	if v.Message != "" {
		line += ": " + v.Message
	}
	return line
}

// Report holds every verdict of a run in file and case order.
type Report struct {
	Verdicts []Verdict
}

// With returns the verdicts of one status.
func (r *Report) With(s Status) []Verdict {
	var out []Verdict
	for _, v := range r.Verdicts {
		if v.Status == s {
			out = append(out, v)
		}
	}
	return out
}

// FailedIDs returns the sorted ids of the cases of family with a failed check.
func (r *Report) FailedIDs(family string) []int {
	seen := map[int]bool{}
	ids := []int{}
	for _, v := range r.With(Fail) {
		if v.Case.Family == family && !seen[v.Case.ID] {
			seen[v.Case.ID] = true
			ids = append(ids, v.Case.ID)
		}
	}
	sort.Ints(ids)
	return ids
}

// Summary is one line of counts.
func (r *Report) Summary() string {
	return fmt.Sprintf("netipc vectors: %d passed, %d failed, %d skipped",
		len(r.With(Pass)), len(r.With(Fail)), len(r.With(Skip)))
}

type rawCase struct {
	ID           *int           `json:"id"`
	Name         string         `json:"name"`
	Requirements []string       `json:"requirements"`
	Comment      string         `json:"comment"`
	Result       string         `json:"result"`
	Flags        []string       `json:"flags"`
	Hex          *string        `json:"hex"`
	Packets      []string       `json:"packets"`
	Context      map[string]any `json:"context"`
	Fields       map[string]any `json:"fields"`
	Error        string         `json:"error"`
}

type rawFile struct {
	SchemaVersion *int      `json:"schema_version"`
	Family        string    `json:"family"`
	Input         string    `json:"input"`
	Cases         []rawCase `json:"cases"`
}

var familyOps = map[string]string{
	"handshake_decide": "decide", "handshake_check_ack": "check_ack", "windows_names": "names",
}

// Load reads every *.json file of dir, sorted by name, and returns its cases in order. It
// fails, naming the file and the problem, on a missing directory, a directory without vector
// files, a file that is not JSON or does not follow the vector file schema; nothing is
// silently dropped.
func Load(dir string) ([]*Case, error) {
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("%s: not a directory", dir)
	}
	paths, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(paths) == 0 {
		return nil, fmt.Errorf("%s: no *.json vector files", dir)
	}
	sort.Strings(paths)
	var cases []*Case
	for _, path := range paths {
		fileCases, err := loadFile(path)
		if err != nil {
			return nil, err
		}
		cases = append(cases, fileCases...)
	}
	return cases, nil
}

func loadFile(path string) ([]*Case, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: cannot read: %v", path, err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc rawFile
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s: cannot read: %v", path, err)
	}
	if doc.SchemaVersion == nil || *doc.SchemaVersion != SchemaVersion {
		got := "missing"
		if doc.SchemaVersion != nil {
			got = strconv.Itoa(*doc.SchemaVersion)
		}
		return nil, fmt.Errorf("%s: schema_version %s, this harness reads %d", path, got, SchemaVersion)
	}
	if doc.Family == "" || len(doc.Cases) == 0 {
		return nil, fmt.Errorf("%s: no family or no cases", path)
	}
	if doc.Input == "steps" {
		// Session vectors: conversations nipc-peer replays against a live implementation;
		// they hold no decoder case of their own.
		return nil, nil
	}
	var cases []*Case
	for n, raw := range doc.Cases {
		c, err := makeCase(doc.Family, path, raw)
		if err != nil {
			return nil, fmt.Errorf("%s: case %d: %v", path, n+1, err)
		}
		cases = append(cases, c)
	}
	return cases, nil
}

func makeCase(family, path string, raw rawCase) (*Case, error) {
	if raw.ID == nil || raw.Name == "" || raw.Requirements == nil || raw.Flags == nil {
		return nil, fmt.Errorf("id, name, requirements or flags missing")
	}
	switch {
	case raw.Result == "valid" && raw.Fields == nil:
		return nil, fmt.Errorf("a valid case needs fields")
	case raw.Result == "invalid" && raw.Error == "":
		return nil, fmt.Errorf("an invalid case needs error")
	case raw.Result != "valid" && raw.Result != "invalid" && raw.Result != "acceptable":
		return nil, fmt.Errorf("result %q", raw.Result)
	case raw.Hex != nil && raw.Packets != nil:
		return nil, fmt.Errorf("both hex and packets")
	}
	c := &Case{File: path, Family: family, Op: "decode", ID: *raw.ID, Name: raw.Name,
		Requirements: raw.Requirements, Comment: raw.Comment, Flags: raw.Flags,
		Result: raw.Result, Context: raw.Context, Fields: raw.Fields, Error: raw.Error}
	if op, ok := familyOps[family]; ok {
		c.Op = op
	}
	if c.Context == nil {
		c.Context = map[string]any{}
	}
	var err error
	if raw.Hex != nil {
		c.HasBytes = true
		if c.Bytes, err = hex.DecodeString(*raw.Hex); err != nil {
			return nil, fmt.Errorf("hex: %v", err)
		}
	}
	for _, p := range raw.Packets {
		b, err := hex.DecodeString(p)
		if err != nil {
			return nil, fmt.Errorf("packets: %v", err)
		}
		c.Packets = append(c.Packets, b)
	}
	return c, nil
}

// Check runs every check of the vectors in dir against codec and returns the report; the
// error is set only when the vectors cannot be read. A panic in codec is a fail of that check.
func Check(dir string, codec Codec, opts Options) (*Report, error) {
	cases, err := Load(dir)
	if err != nil {
		return nil, err
	}
	report := &Report{}
	for _, c := range cases {
		report.Verdicts = append(report.Verdicts, checkDecode(c, codec, opts))
		if c.Result == "valid" && c.HasBytes && c.HasFlag("Canonical") {
			report.Verdicts = append(report.Verdicts, checkEncode(c, codec))
		}
	}
	return report, nil
}

// Run checks the vectors in dir against codec, one subtest per check: a failed check fails
// its subtest (and so the test), a skipped one is skipped with its reason. Vectors that
// cannot be read fail the test at once. It logs the summary line; when no check passed and
// none failed (everything skipped), the test itself is skipped, never passed.
func Run(t *testing.T, dir string, codec Codec) { RunWith(t, dir, codec, Options{}) }

// RunWith is Run with options.
func RunWith(t *testing.T, dir string, codec Codec, opts Options) {
	t.Helper()
	report, err := Check(dir, codec, opts)
	if err != nil {
		t.Fatalf("netipc vectors: %v", err)
	}
	for _, v := range report.Verdicts {
		v := v
		t.Run(v.Key(), func(t *testing.T) {
			switch v.Status {
			case Fail:
				t.Error(v.Line())
			case Skip:
				t.Skip(v.Line())
			default:
				t.Log(v.Line())
			}
		})
	}
	t.Log(report.Summary())
	if len(report.With(Pass)) == 0 && len(report.With(Fail)) == 0 {
		t.Skip(report.Summary() + ": no check passed, nothing was verified")
	}
}

func guard(what string, fn func() Outcome) (out Outcome, panicMsg string) {
	defer func() {
		if r := recover(); r != nil {
			panicMsg = fmt.Sprintf("%s panicked: %v", what, r)
		}
	}()
	return fn(), ""
}

func checkEncode(c *Case, codec Codec) Verdict {
	v := Verdict{Case: c, Encode: true, Status: Fail}
	enc, ok := codec.(Encoder)
	if !ok {
		v.Status, v.Message = Skip, "the codec has no encoder"
		return v
	}
	out, p := guard("encode", func() Outcome { return enc.Encode(c) })
	switch {
	case p != "":
		v.Message = p
	case out.kind == kindUnsupported:
		v.Status, v.Message = Skip, out.reason
	case out.kind == kindInvalid:
		v.Message = "the encoder refused the fields: " + out.class
	case out.kind != kindEncoded:
		v.Message = "the encoder did not return Encoded bytes"
	case !bytes.Equal(out.bytes, c.Bytes):
		v.Message = fmt.Sprintf("encoded %x, expected %x", out.bytes, c.Bytes)
	default:
		v.Status = Pass
	}
	return v
}

func checkDecode(c *Case, codec Codec, opts Options) Verdict {
	v := Verdict{Case: c, Status: Fail}
	out, p := guard("decode", func() Outcome { return codec.Decode(c) })
	if p != "" {
		v.Message = p
		return v
	}
	switch out.kind {
	case kindUnsupported:
		v.Status, v.Message = Skip, out.reason
		return v
	case kindValid, kindInvalid:
	default:
		v.Message = "the decoder returned no Valid, Invalid or Unsupported outcome"
		return v
	}
	if out.kind == kindInvalid && out.packet != nil && c.Family == "handshake_decide" {
		if want := RejectionPacket(strings.TrimPrefix(c.Error, "Status")); want != nil &&
			!bytes.Equal(out.packet, want) {
			v.Message = fmt.Sprintf("rejection packet %x, expected %x", out.packet, want)
			return v
		}
	}
	switch c.Result {
	case "valid":
		if out.kind == kindInvalid {
			v.Message = "rejected a valid case with " + out.class
			return v
		}
		v.Message = compareFields(c.Fields, out.fields)
	case "invalid":
		switch {
		case out.kind == kindValid:
			v.Message = "accepted an invalid case (expected " + c.Error + ")"
		case out.class != c.Error && opts.LenientErrors:
			v.Status = Pass
			v.Message = fmt.Sprintf("rejected with %s (expected class %s)", out.class, c.Error)
			return v
		case out.class != c.Error:
			v.Message = fmt.Sprintf("rejected with %s, expected %s", out.class, c.Error)
		}
	default: // acceptable: either verdict, but an acceptance must decode the reference's fields
		if out.kind == kindValid && c.Fields != nil {
			v.Message = compareFields(c.Fields, out.fields)
		}
		if v.Message == "" {
			v.Status = Pass
			if out.kind == kindValid {
				v.Message = "acceptable: accepted"
			} else {
				v.Message = "acceptable: rejected with " + out.class
			}
		}
		return v
	}
	if v.Message == "" {
		v.Status = Pass
	}
	return v
}

// compareFields returns "" when got marshals to the same JSON as want, else what differs.
func compareFields(want map[string]any, got any) string {
	text, err := json.Marshal(got)
	if err != nil {
		return "fields are not JSON values: " + err.Error()
	}
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.UseNumber()
	var norm any
	if err := dec.Decode(&norm); err != nil {
		return "fields are not JSON values: " + err.Error()
	}
	if reflect.DeepEqual(norm, any(want)) {
		return ""
	}
	if got, ok := norm.(map[string]any); ok {
		// Name the first key that differs (in sorted order): most fields objects are flat.
		var keys []string
		for k, w := range want {
			if g, present := got[k]; !present || !reflect.DeepEqual(g, w) {
				keys = append(keys, k)
			}
		}
		for k := range got {
			if _, present := want[k]; !present {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		return fmt.Sprintf("fields differ at %q: expected %s, got %s", keys[0],
			jsonText(want, keys[0]), jsonText(got, keys[0]))
	}
	wantText, _ := json.Marshal(want)
	normText, _ := json.Marshal(norm)
	return fmt.Sprintf("fields differ: expected %s, got %s", wantText, normText)
}

func jsonText(m map[string]any, key string) string {
	v, ok := m[key]
	if !ok {
		return "(absent)"
	}
	text, _ := json.Marshal(v)
	return string(text)
}

var statusCodes = map[string]uint16{
	"BadEnvelope": 1, "AuthFailed": 2, "Incompatible": 3, "Unsupported": 4,
	"LimitExceeded": 5, "InternalError": 6,
}

// RejectionPacket is the canonical HELLO_ACK rejection packet for a status name such as
// "AuthFailed" (nil for an unknown name): the outer header (CONTROL, HELLO_ACK, the status,
// payload_len 48, item_count 1, message_id 0) and a payload of layout_version 1 and zeros.
func RejectionPacket(status string) []byte {
	code, ok := statusCodes[status]
	if !ok {
		return nil
	}
	p := make([]byte, 80)
	le := binary.LittleEndian
	le.PutUint32(p[0:], 0x4E495043)
	le.PutUint16(p[4:], 1)
	le.PutUint16(p[6:], 32)
	le.PutUint16(p[8:], 3)
	le.PutUint16(p[12:], 2)
	le.PutUint16(p[14:], code)
	le.PutUint32(p[16:], 48)
	le.PutUint32(p[20:], 1)
	le.PutUint16(p[32:], 1)
	return p
}
