package cli

import (
	"testing"
	"time"

	"github.com/credstage/credstage/engine"
)

// Without --worker-principal the worker is whoever wrote credstage's
// tokens; a writer of any other token is flagged, and so is its read.
func TestBuildAuditInfersTheWorker(t *testing.T) {
	now := time.Now()
	worker, other, app := "arn:aws:iam::1:role/worker", "arn:aws:iam::1:user/eve", "arn:aws:iam::1:role/app"
	events := []auditEvent{
		{Name: "PutSecretValue", Principal: worker, Time: now, Token: engine.Token("6d1f0c7e-1111-4222-8333-944455556666", "s")},
		{Name: "GetSecretValue", Principal: worker, Time: now},
		{Name: "PutSecretValue", Principal: other, Time: now, Token: "f0a3c4a2-5b6c-4d7e-8f90-a1b2c3d4e5f6"},
		{Name: "GetSecretValue", Principal: other, Time: now.Add(-time.Hour), ErrorCode: "AccessDeniedException"},
		{Name: "GetSecretValue", Principal: other, Time: now},
		{Name: "GetSecretValue", Principal: app, Time: now},
		{Name: "DescribeSecret", Principal: other, Time: now},
	}
	rep := buildAudit("s", "arn:s", events, nil, []string{app}, false, true, 7)
	if len(rep.Expected) != 2 || rep.Expected[0].Principal != worker || rep.Expected[1].Principal != app {
		t.Fatalf("expected %+v", rep.Expected)
	}
	if rep.Flagged != 2 || rep.Note != "read the newest 7 events of s; older ones not examined" {
		t.Fatalf("flagged %d, note %q", rep.Flagged, rep.Note)
	}
	for _, r := range append(rep.Readers, rep.Changes...) {
		if (r.Principal == other) != r.Unexpected {
			t.Errorf("%+v", r)
		}
		if r.Principal == other && r.Event == "GetSecretValue" && (r.Count != 2 || r.Failed != 1 || !r.First.Before(r.Last)) {
			t.Errorf("eve's reads: %+v", r)
		}
	}
	// Named, the worker is no longer inferred: the token writer is flagged
	// only if it is not the one named.
	rep = buildAudit("s", "arn:s", events, []string{other}, nil, false, false, 7)
	for _, r := range rep.Changes {
		if r.Principal == worker && !r.Unexpected {
			t.Errorf("an unnamed token writer is expected: %+v", r)
		}
	}
}
