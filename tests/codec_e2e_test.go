package tests

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/credstage/credstage/activities"
	"github.com/credstage/credstage/internal/codec"
)

func codecKey(t *testing.T, id string) string {
	t.Helper()
	b := make([]byte, codec.KeySize)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return id + "=" + base64.StdEncoding.EncodeToString(b)
}

// TestCodecEndToEnd runs the stack with payload encryption on (the worker
// and the CLI share the keys): provisioning and a staged rotation through
// `credstage rotate --wait` work as without it, the raw history holds no
// plaintext input (no secret or plan name in any payload or failure, every
// payload sealed), the Web UI's codec endpoint decodes a payload for an
// authorized caller only, and after a key rotation old runs still decode
// while new ones use the new key.
func TestCodecEndToEnd(t *testing.T) {
	oldKey := codecKey(t, "k2026")
	s := startE2EStackWith(t, e2eOptions{workerEnv: []string{codec.EnvKeys + "=" + oldKey}})
	keepLogOnFailure(t, s)
	ctx := testContext(t, 6*time.Minute)
	cli := newCLIRecorder()

	ring, err := codec.ParseKeys("test", oldKey)
	if err != nil {
		t.Fatal(err)
	}
	pc := codec.New(ring)
	raw := s.temporal.Client // decodes nothing: what the server stores
	encClient, err := client.NewClientFromExisting(raw, client.Options{DataConverter: pc.DataConverter(), FailureConverter: pc.FailureConverter()})
	if err != nil {
		t.Fatal(err)
	}
	s.temporal.Client = encClient
	defer func() { s.temporal.Client = raw }()

	in, names := provisionInstance(ctx, t, s, "codec", "staging", []activities.AppUser{
		{Name: "app", Strategy: activities.StrategyAlternatingUsers},
		{Name: "report", Strategy: activities.StrategySingleUser},
	})
	plan := filepath.Join(t.TempDir(), "codec-plan.yaml")
	if err := os.WriteFile(plan, []byte(fmt.Sprintf(`name: codec-plan
stages:
  - name: staging
    validators:
      - sql: {query: "SELECT 1", expect: "1"}
    targets:
      - {secret: %s, strategy: alternating-users}
      - {secret: %s, strategy: single-user}
`, names[0], names[1])), 0o644); err != nil {
		t.Fatal(err)
	}
	before := currentVersions(ctx, t, s, names)
	withKeys := s.cliEnv(codec.EnvKeys, oldKey)
	r := cli.run(ctx, withKeys, "rotate", plan, "--wait", "--poll-interval", "250ms")
	if r.code != 0 || !strings.Contains(r.stdout, "succeeded") {
		t.Fatalf("rotate with the codec: %s", r)
	}
	for _, id := range names {
		assertInvariant(ctx, t, s, id)
		if prev := versionWith(ctx, t, s.sm, id, "AWSPREVIOUS"); prev != before[id] {
			t.Errorf("%s: AWSPREVIOUS %s, want %s", id, prev, before[id])
		}
	}
	stagedID := firstWorkflowID(ctx, t, raw, "staged/codec-plan/")

	// The raw history: every payload sealed, no name in clear anywhere but
	// the workflow IDs and search attributes (which Temporal must index).
	private := append([]string{"codec-plan", "orders", in.id}, names...)
	for _, n := range names {
		private = append(private, n[strings.LastIndex(n, "/")+1:]) // role names
	}
	histories := rawHistories(ctx, t, raw)
	payloads := 0
	for id, events := range histories {
		for _, ev := range events {
			payloads += checkSealed(t, id, ev.ProtoReflect(), private, "k2026")
		}
	}
	if len(histories) < 4 || payloads < 20 {
		t.Fatalf("only %d histories and %d payloads checked", len(histories), payloads)
	}
	t.Logf("%d histories, %d payloads: all sealed, no plaintext input", len(histories), payloads)

	// Without the keys the CLI cannot read the run, and says why.
	r = cli.run(ctx, s.cliEnv(), "status", stagedID)
	if r.code == 0 || !strings.Contains(r.stderr, "encrypted") {
		t.Errorf("status without the keys: %s", r)
	}
	r = cli.run(ctx, withKeys, "status", stagedID)
	if r.code != 0 || !strings.Contains(r.stdout, names[0]) {
		t.Errorf("status with the keys: %s", r)
	}

	// The codec endpoint decodes for the UI's authorized user only.
	started := firstEvent(ctx, t, raw, stagedID, enums.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED)
	input := started.GetWorkflowExecutionStartedEventAttributes().GetInput()
	srv := httptest.NewServer(codec.NewHTTPHandler(pc, codec.HTTPOptions{AllowedOrigins: []string{"http://localhost:8233"}, AuthToken: "ui-user-token"}))
	defer srv.Close()
	body, _ := protojson.Marshal(input)
	decode := func(token string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/decode", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", "http://localhost:8233")
		req.Header.Set("X-Namespace", "default")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		return sendHTTP(t, req)
	}
	code, out := decode("ui-user-token")
	var decoded commonpb.Payloads
	if code != http.StatusOK || protojson.Unmarshal([]byte(out), &decoded) != nil || len(decoded.Payloads) != 1 ||
		!strings.Contains(string(decoded.Payloads[0].Data), names[0]) {
		t.Errorf("authorized decode of the run's input: %d %s", code, out)
	}
	if code, out := decode(""); code != http.StatusUnauthorized || strings.Contains(out, names[0]) {
		t.Errorf("unauthorized decode: %d %s", code, out)
	}

	// Key rotation: the new key goes first; the old one stays to decrypt.
	newKeys := codecKey(t, "k2027") + "," + oldKey
	s.worker.stop(t)
	s.opts.workerEnv = []string{codec.EnvKeys + "=" + newKeys}
	s.startWorker()
	newRing, _ := codec.ParseKeys("test", newKeys)
	newEnc, err := client.NewClientFromExisting(raw, client.Options{DataConverter: codec.New(newRing).DataConverter(), FailureConverter: codec.New(newRing).FailureConverter()})
	if err != nil {
		t.Fatal(err)
	}
	s.temporal.Client = newEnc
	withNewKeys := s.cliEnv(codec.EnvKeys, newKeys)
	if r := cli.run(ctx, withNewKeys, "status", stagedID); r.code != 0 || !strings.Contains(r.stdout, names[0]) {
		t.Errorf("an old run with the rotated keys: %s", r)
	}
	time.Sleep(time.Second) // a new start second: a new workflow ID
	if r := cli.run(ctx, withNewKeys, "rotate", plan, "--wait", "--poll-interval", "250ms"); r.code != 0 {
		t.Fatalf("rotate after the key rotation: %s", r)
	}
	for id, events := range rawHistories(ctx, t, raw) {
		if !strings.HasPrefix(id, "staged/codec-plan/") || strings.HasPrefix(id, stagedID) {
			continue
		}
		for _, ev := range events {
			checkSealed(t, id, ev.ProtoReflect(), private, "k2027")
		}
	}
	for _, id := range names {
		assertInvariant(ctx, t, s, id)
	}
	scanForLeaks(ctx, t, s, cli)
}

// checkSealed walks one history event: every payload outside search
// attributes must be sealed with keyID, and no string outside workflow IDs
// and search attributes may hold a private name. It returns the number of
// payloads seen.
func checkSealed(t *testing.T, where string, m protoreflect.Message, private []string, keyID string) int {
	t.Helper()
	switch msg := m.Interface().(type) {
	case *commonpb.SearchAttributes:
		return 0 // indexed by Temporal: plaintext by design
	case *commonpb.Payload:
		if enc := string(msg.GetMetadata()[converter.MetadataEncoding]); enc != codec.EncodingEncrypted {
			t.Errorf("%s: a payload is not sealed (encoding %q): %.120s", where, enc, msg.GetData())
		} else if id := string(msg.GetMetadata()[codec.MetadataKeyID]); id != keyID {
			t.Errorf("%s: a payload is sealed with key %q, want %q", where, id, keyID)
		}
		return 1
	}
	n := 0
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		name := string(fd.Name())
		if name == "workflow_id" || name == "identity" || name == "request_id" {
			return true
		}
		switch {
		case fd.IsList():
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				n += checkValue(t, where, fd, l.Get(i), private, keyID)
			}
		case fd.IsMap():
			v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
				n += checkValue(t, where, fd.MapValue(), mv, private, keyID)
				return true
			})
		default:
			n += checkValue(t, where, fd, v, private, keyID)
		}
		return true
	})
	return n
}

func checkValue(t *testing.T, where string, fd protoreflect.FieldDescriptor, v protoreflect.Value, private []string, keyID string) int {
	t.Helper()
	switch fd.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return checkSealed(t, where, v.Message(), private, keyID)
	case protoreflect.StringKind:
		for _, p := range private {
			if strings.Contains(v.String(), p) {
				t.Errorf("%s: field %s holds %q in clear: %.200s", where, fd.FullName(), p, v.String())
			}
		}
	case protoreflect.BytesKind:
		for _, p := range private {
			if bytes.Contains(v.Bytes(), []byte(p)) {
				t.Errorf("%s: bytes field %s holds %q in clear", where, fd.FullName(), p)
			}
		}
	}
	return 0
}

// rawHistories is every run's history as the server stores it.
func rawHistories(ctx context.Context, t *testing.T, c client.Client) map[string][]*historypb.HistoryEvent {
	t.Helper()
	out := map[string][]*historypb.HistoryEvent{}
	var token []byte
	for {
		page, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: "default", PageSize: 500, NextPageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Executions {
			it := c.GetWorkflowHistory(ctx, e.Execution.WorkflowId, e.Execution.RunId, false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
			key := e.Execution.WorkflowId + "/" + e.Execution.RunId
			for it.HasNext() {
				ev, err := it.Next()
				if err != nil {
					t.Fatal(err)
				}
				out[key] = append(out[key], proto.Clone(ev).(*historypb.HistoryEvent))
			}
		}
		if token = page.NextPageToken; len(token) == 0 {
			return out
		}
	}
}

func firstWorkflowID(ctx context.Context, t *testing.T, c client.Client, prefix string) string {
	t.Helper()
	page, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: "default", Query: "WorkflowId STARTS_WITH '" + prefix + "'"})
	if err != nil || len(page.Executions) == 0 {
		t.Fatalf("no run %s*: %v", prefix, err)
	}
	return page.Executions[len(page.Executions)-1].Execution.WorkflowId
}

func firstEvent(ctx context.Context, t *testing.T, c client.Client, workflowID string, typ enums.EventType) *historypb.HistoryEvent {
	t.Helper()
	it := c.GetWorkflowHistory(ctx, workflowID, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		if ev.EventType == typ {
			return ev
		}
	}
	t.Fatalf("%s has no %s event", workflowID, typ)
	return nil
}
