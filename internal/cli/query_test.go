package cli

import "testing"

func TestListQuery(t *testing.T) {
	q, err := listFlags{environment: "production", secret: "staging/orders/app", status: "rolled-back", kind: "rotate"}.query()
	want := "(WorkflowType = 'RotateSecret') AND CredstageEnvironment = 'production' AND CredstageSecret = 'staging/orders/app' AND CredstageStatus = 'rolled-back'"
	if err != nil || q != want {
		t.Errorf("got %q, %v\nwant %q", q, err, want)
	}
	q, _ = listFlags{}.query()
	if q != "(WorkflowType = 'StagedRotation' OR WorkflowType = 'RotateSecret' OR WorkflowType = 'RollbackSecret' OR WorkflowType = 'RevokeSecret' OR WorkflowType = 'ProvisionDatabase')" {
		t.Errorf("default query %q", q)
	}
	for _, f := range []listFlags{{secret: "x' OR 1=1 --"}, {status: "done"}, {kind: "cron"}, {environment: `a"b`}} {
		if _, err := f.query(); err == nil || exitCode(err) != ExitBadInput {
			t.Errorf("%+v: want a bad-input error, got %v", f, err)
		}
	}
}

func TestParseRun(t *testing.T) {
	cases := map[string]runRef{
		"staged/nightly/20260101T020000Z": {WorkflowID: "staged/nightly/20260101T020000Z"},
		"http://localhost:8233/namespaces/default/workflows/staged%2Fnightly%2F20260101T020000Z/01a2/history": {WorkflowID: "staged/nightly/20260101T020000Z", RunID: "01a2"},
		"http://localhost:8233/namespaces/default/workflows/rotate%2Fstaging%2Fapp/01a3":                      {WorkflowID: "rotate/staging/app", RunID: "01a3"},
		"https://ui.example/namespaces/prod/workflows/provision%2Forders":                                     {WorkflowID: "provision/orders"},
	}
	for arg, want := range cases {
		if got := parseRun(arg, ""); got != want {
			t.Errorf("%s: got %+v, want %+v", arg, got, want)
		}
	}
}

func TestRunURL(t *testing.T) {
	a := newApp(nil, nil, nil)
	a.uiAddress, a.conn.Namespace = "http://localhost:8233/", "default"
	got := a.runURL("staged/nightly/20260101T020000Z", "01a2")
	if got != "http://localhost:8233/namespaces/default/workflows/staged%2Fnightly%2F20260101T020000Z/01a2" {
		t.Errorf("got %s", got)
	}
}
