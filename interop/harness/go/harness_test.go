package harness_test

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"netipc-cts/harness"
)

// wrongFails are the cases the wrong toy must fail: family -> id -> name (ids are stable).
var wrongFails = map[string]map[int]string{
	"outer_header": {7: "message-id-max", 8: "message-id-high-bit", 9: "message-id-byte-order"},
	"chunk_header": {26: "flags-one", 27: "flags-high-bit", 28: "flags-all-bits"},
}

func vectorsDir() string {
	if dir := os.Getenv("NIPC_VECTORS_DIR"); dir != "" {
		return dir
	}
	return filepath.Join("..", "..", "..", "vectors")
}

// expectedChecks counts from the files with the standard JSON decoder alone: one decode per
// case, one encode per valid Canonical case with bytes, for the given families (all if nil).
func expectedChecks(t *testing.T, families map[string]bool) int {
	paths, _ := filepath.Glob(filepath.Join(vectorsDir(), "*.json"))
	n := 0
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Family string
			Input  string
			Cases  []map[string]any
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		// Session vectors (input "steps") are read past: they are conversations, not cases.
		if doc.Input == "steps" || families != nil && !families[doc.Family] {
			continue
		}
		for _, c := range doc.Cases {
			n++
			_, hasHex := c["hex"]
			flags, _ := json.Marshal(c["flags"])
			if c["result"] == "valid" && hasHex && strings.Contains(string(flags), `"Canonical"`) {
				n++
			}
		}
	}
	return n
}

func TestACorrectToyPassesEveryOuterAndChunkHeaderCaseAndSkipsTheRest(t *testing.T) {
	report, err := harness.Check(vectorsDir(), toyCodec{}, harness.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range report.With(harness.Fail) {
		t.Error(v.Line())
	}
	toy := map[string]bool{"outer_header": true, "chunk_header": true}
	if got, want := len(report.With(harness.Pass)), expectedChecks(t, toy); got != want {
		t.Errorf("%d checks passed, want %d", got, want)
	}
	if got, want := len(report.Verdicts), expectedChecks(t, nil); got != want {
		t.Errorf("%d checks in all, want %d", got, want)
	}
	for _, v := range report.With(harness.Skip) {
		if toy[v.Case.Family] {
			t.Errorf("skipped a toy family: %s", v.Line())
		}
	}
	t.Log(report.Summary())
}

func TestAWrongToyFailsExactlyTheCasesThatCatchItsFaults(t *testing.T) {
	report, err := harness.Check(vectorsDir(), toyCodec{wrong: true}, harness.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for family, cases := range wrongFails {
		want := []int{}
		for id := range cases {
			want = append(want, id)
		}
		sort.Ints(want)
		if got := report.FailedIDs(family); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: failed ids %v, want %v", family, got, want)
		}
	}
	for _, v := range report.With(harness.Fail) {
		if wrongFails[v.Case.Family][v.Case.ID] != v.Case.Name {
			t.Errorf("unexpected failure %s", v.Line())
		}
		if v.Key() == "chunk_header/26-flags-one" && v.Line() != "FAIL chunk_header/26-flags-one "+
			"[CHUNK-FLAGS-001]: accepted an invalid case (expected ChunkNonzeroFlags)" {
			t.Errorf("line: %s", v.Line())
		}
	}
}

const childEnv = "NIPC_HARNESS_TEST_CHILD"

// Run inside `go test`: a child test binary runs the wrong toy through harness.Run; it must
// fail, with one failed subtest per caught case and skipped subtests for the other families.
func TestRunSkipsTheTestWhenNoCheckPassed(t *testing.T) {
	if os.Getenv(childEnv) == "1" {
		harness.Run(t, vectorsDir(), harness.Funcs{})
		t.Error("Run returned after skipping the test")
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestRunSkipsTheTestWhenNoCheckPassed$", "-test.v")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !regexp.MustCompile(`(?m)^--- SKIP: TestRunSkipsTheTestWhenNoCheckPassed `).Match(out) ||
		!strings.Contains(string(out), "no check passed, nothing was verified") {
		t.Errorf("err %v, output tail:\n%s", err, out[max(0, len(out)-2000):])
	}
}

func TestRunFailsTheTestWithOneSubtestPerCaughtCase(t *testing.T) {
	if os.Getenv(childEnv) == "1" {
		harness.Run(t, vectorsDir(), toyCodec{wrong: true})
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestRunFailsTheTestWithOneSubtestPerCaughtCase$",
		"-test.v")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	out, err := cmd.CombinedOutput()
	if _, failed := err.(*exec.ExitError); !failed {
		t.Fatalf("the child run did not fail (err %v):\n%s", err, out)
	}
	failRe := regexp.MustCompile(`--- FAIL: TestRunFailsTheTestWithOneSubtestPerCaughtCase/(\S+)`)
	var failed []string
	for _, m := range failRe.FindAllStringSubmatch(string(out), -1) {
		failed = append(failed, m[1])
	}
	want := []string{}
	for family, cases := range wrongFails {
		for id, name := range cases {
			want = append(want, family+"/"+strconv.Itoa(id)+"-"+name)
		}
	}
	sort.Strings(failed)
	sort.Strings(want)
	if !reflect.DeepEqual(failed, want) {
		t.Errorf("failed subtests %v, want %v", failed, want)
	}
	if !strings.Contains(string(out), "--- SKIP: TestRunFailsTheTestWithOneSubtestPerCaughtCase/hello/1-") {
		t.Errorf("no skipped hello subtest in:\n%s", out)
	}
	if !strings.Contains(string(out), "netipc vectors: ") {
		t.Errorf("no summary line")
	}
}

// writeVectors writes one vector file of family with cases into a new temporary directory.
func writeVectors(t *testing.T, family string, cases ...map[string]any) string {
	dir := t.TempDir()
	doc := map[string]any{"schema_version": 1, "family": family, "spec_revision": "2026-01-01",
		"description": "test", "input": "hex", "cases": cases}
	data, _ := json.Marshal(doc)
	if err := os.WriteFile(filepath.Join(dir, family+".json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func mkcase(id int, result string, extra map[string]any) map[string]any {
	c := map[string]any{"id": id, "name": "case-" + strconv.Itoa(id), "requirements": []string{"ENV-HDR-001"},
		"comment": "c", "result": result, "flags": []string{}, "hex": "00"}
	for k, v := range extra {
		c[k] = v
	}
	return c
}

func one(t *testing.T, dir string, codec harness.Codec, opts harness.Options) []harness.Verdict {
	t.Helper()
	r, err := harness.Check(dir, codec, opts)
	if err != nil {
		t.Fatal(err)
	}
	return r.Verdicts
}

func decoder(fn func(*harness.Case) harness.Outcome) harness.Funcs {
	return harness.Funcs{Decoders: map[string]func(*harness.Case) harness.Outcome{"outer_header": fn}}
}

func TestAValidCasePassesOnlyWithEqualFields(t *testing.T) {
	dir := writeVectors(t, "outer_header", mkcase(1, "valid", map[string]any{"fields": map[string]any{"value": "5", "n": 3}}))
	v := one(t, dir, decoder(func(*harness.Case) harness.Outcome {
		return harness.Valid(map[string]any{"value": "5", "n": uint8(3)})
	}), harness.Options{})
	if v[0].Status != harness.Pass {
		t.Error(v[0].Line())
	}
	v = one(t, dir, decoder(func(*harness.Case) harness.Outcome {
		return harness.Valid(map[string]any{"value": 5, "n": 3})
	}), harness.Options{})
	if v[0].Message != `fields differ at "value": expected "5", got 5` {
		t.Error(v[0].Line())
	}
	v = one(t, dir, decoder(func(*harness.Case) harness.Outcome {
		return harness.Valid(map[string]any{"n": 3})
	}), harness.Options{})
	if v[0].Message != `fields differ at "value": expected "5", got (absent)` {
		t.Error(v[0].Line())
	}
	v = one(t, dir, decoder(func(*harness.Case) harness.Outcome { return harness.Valid([]int{}) }), harness.Options{})
	if v[0].Message != `fields differ: expected {"n":3,"value":"5"}, got []` {
		t.Error(v[0].Line())
	}
}

func TestAWrongErrorClassFailsUnlessErrorsAreLenient(t *testing.T) {
	dir := writeVectors(t, "outer_header", mkcase(1, "invalid", map[string]any{"error": "HeaderBadMagic"}))
	codec := decoder(func(*harness.Case) harness.Outcome { return harness.Invalid("HeaderBadKind") })
	if v := one(t, dir, codec, harness.Options{}); v[0].Message != "rejected with HeaderBadKind, expected HeaderBadMagic" {
		t.Error(v[0].Line())
	}
	if v := one(t, dir, codec, harness.Options{LenientErrors: true}); v[0].Status != harness.Pass {
		t.Error(v[0].Line())
	}
}

func TestAnAcceptableCasePassesEitherWayButAnAcceptanceNeedsTheFields(t *testing.T) {
	dir := writeVectors(t, "outer_header", mkcase(1, "acceptable", map[string]any{"fields": map[string]any{"a": 1}}))
	for out, want := range map[*harness.Outcome]harness.Status{
		ptr(harness.Invalid("X")): harness.Pass, ptr(harness.Valid(map[string]int{"a": 1})): harness.Pass,
		ptr(harness.Valid(map[string]int{"a": 2})): harness.Fail,
	} {
		out := *out
		if v := one(t, dir, decoder(func(*harness.Case) harness.Outcome { return out }), harness.Options{}); v[0].Status != want {
			t.Error(v[0].Line())
		}
	}
}

func ptr(o harness.Outcome) *harness.Outcome { return &o }

func TestUnsupportedAndMissingFunctionsAreSkipsNeverPasses(t *testing.T) {
	dir := writeVectors(t, "outer_header", mkcase(1, "valid", map[string]any{"fields": map[string]any{}, "flags": []string{"Canonical"}}))
	v := one(t, dir, decoder(func(*harness.Case) harness.Outcome { return harness.Unsupported("not yet") }), harness.Options{})
	if v[0].Status != harness.Skip || v[0].Message != "not yet" || v[1].Status != harness.Skip ||
		v[1].Message != "no encoder for family outer_header" {
		t.Errorf("%s / %s", v[0].Line(), v[1].Line())
	}
	v = one(t, dir, harness.Funcs{}, harness.Options{})
	if v[0].Status != harness.Skip || v[0].Message != "no decoder for family outer_header" {
		t.Error(v[0].Line())
	}
}

func TestAPanicInTheDecoderAndAZeroOutcomeAreFails(t *testing.T) {
	dir := writeVectors(t, "outer_header", mkcase(1, "invalid", map[string]any{"error": "E"}))
	v := one(t, dir, decoder(func(*harness.Case) harness.Outcome { panic("offset 40") }), harness.Options{})
	if v[0].Status != harness.Fail || v[0].Message != "decode panicked: offset 40" {
		t.Error(v[0].Line())
	}
	v = one(t, dir, decoder(func(*harness.Case) harness.Outcome { return harness.Outcome{} }), harness.Options{})
	if v[0].Status != harness.Fail {
		t.Error(v[0].Line())
	}
}

func TestAnEncoderMustGiveBackTheCanonicalBytes(t *testing.T) {
	dir := writeVectors(t, "outer_header", mkcase(1, "valid", map[string]any{"hex": "0102",
		"fields": map[string]any{}, "flags": []string{"Canonical"}}))
	codec := harness.Funcs{
		Decoders: map[string]func(*harness.Case) harness.Outcome{"outer_header": func(*harness.Case) harness.Outcome {
			return harness.Valid(map[string]any{})
		}},
		Encoders: map[string]func(*harness.Case) harness.Outcome{"outer_header": func(*harness.Case) harness.Outcome {
			return harness.Encoded([]byte{1, 3})
		}},
	}
	v := one(t, dir, codec, harness.Options{})
	if v[1].Key() != "outer_header/1-case-1.encode" || v[1].Message != "encoded 0103, expected 0102" {
		t.Error(v[1].Line())
	}
}

func TestADecideRejectionPacketIsComparedWithTheCanonicalOne(t *testing.T) {
	want := "4350494e0100200003000000020002003000000001000000000000000000000001" +
		strings.Repeat("00", 47)
	if got := hex.EncodeToString(harness.RejectionPacket("AuthFailed")); got != want {
		t.Fatalf("%s\n%s", got, want)
	}
	dir := writeVectors(t, "handshake_decide", mkcase(1, "invalid", map[string]any{"error": "StatusAuthFailed"}))
	for status, ok := range map[string]bool{"AuthFailed": true, "Incompatible": false} {
		packet := harness.RejectionPacket(status)
		codec := harness.Funcs{Decoders: map[string]func(*harness.Case) harness.Outcome{
			"handshake_decide": func(*harness.Case) harness.Outcome { return harness.Rejected("StatusAuthFailed", packet) }}}
		if v := one(t, dir, codec, harness.Options{}); (v[0].Status == harness.Pass) != ok {
			t.Error(v[0].Line())
		}
	}
}

func TestUnreadableVectorsAreAnErrorNamingTheFile(t *testing.T) {
	if _, err := harness.Load("/nonexistent/vectors"); err == nil || err.Error() != "/nonexistent/vectors: not a directory" {
		t.Errorf("%v", err)
	}
	if _, err := harness.Load(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no *.json vector files") {
		t.Errorf("%v", err)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "bad.json"), []byte("{ nope"), 0o644)
	if _, err := harness.Load(dir); err == nil || !strings.Contains(err.Error(), "bad.json: cannot read") {
		t.Errorf("%v", err)
	}
	dir = writeVectors(t, "x", mkcase(1, "valid", nil))
	if _, err := harness.Load(dir); err == nil || !strings.Contains(err.Error(), "case 1: a valid case needs fields") {
		t.Errorf("%v", err)
	}
	dir = writeVectors(t, "x", mkcase(1, "invalid", map[string]any{"error": "E", "hex": "zz"}))
	if _, err := harness.Load(dir); err == nil || !strings.Contains(err.Error(), "case 1: hex") {
		t.Errorf("%v", err)
	}
	dir = t.TempDir()
	os.WriteFile(filepath.Join(dir, "v.json"), []byte(`{"schema_version":2,"family":"x","cases":[]}`), 0o644)
	if _, err := harness.Load(dir); err == nil || !strings.Contains(err.Error(), "schema_version 2, this harness reads 1") {
		t.Errorf("%v", err)
	}
}

func TestTheRealVectorsLoadWithEveryCase(t *testing.T) {
	cases, err := harness.Load(vectorsDir())
	if err != nil {
		t.Fatal(err)
	}
	byFamily := map[string]*harness.Case{}
	for _, c := range cases {
		if byFamily[c.Family] == nil {
			byFamily[c.Family] = c
		}
	}
	if c := byFamily["chunked_message"]; c.HasBytes || len(c.Packets) == 0 {
		t.Errorf("chunked_message: %+v", c)
	}
	if c := byFamily["windows_names"]; c.HasBytes || c.Packets != nil || c.Op != "names" {
		t.Errorf("windows_names: %+v", c)
	}
	if c := byFamily["outer_header"]; c.Op != "decode" || !c.HasBytes || len(c.Bytes) != 32 {
		t.Errorf("outer_header: %+v", c)
	}
}
