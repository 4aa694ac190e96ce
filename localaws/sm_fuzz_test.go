package localaws

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// smRawCall sends one Secrets Manager request straight to the handler, the
// way a client that is not an SDK (or a broken one) would.
func smRawCall(t testing.TB, srv *Server, op string, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "secretsmanager."+op)
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	return rec
}

func smErrorType(t testing.TB, rec *httptest.ResponseRecorder) string {
	t.Helper()
	var e struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
		t.Fatalf("error body is not JSON: %q", rec.Body.String())
	}
	return e.Type
}

func TestSMMalformedRequests(t *testing.T) {
	srv, err := New(Options{Ephemeral: true, Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	cases := []struct {
		op, body, code string
	}{
		{"CreateSecret", `{"Name":`, "SerializationException"},
		{"CreateSecret", `[]`, "SerializationException"},
		{"CreateSecret", `{"Name": 5}`, "SerializationException"},
		{"CreateSecret", `{"Name":"x","SecretBinary":"not base64!"}`, "SerializationException"},
		{"CreateSecret", `{}`, "ValidationException"},
		{"GetSecretValue", ``, "ValidationException"},
		{"GetRandomPassword", `{"PasswordLength": 1e30}`, "SerializationException"},
		{"ListSecrets", `{"NextToken": "!!"}`, "InvalidNextTokenException"},
		{"ReplicateSecretToRegions", `{}`, "UnknownOperationException"},
	}
	for _, tc := range cases {
		rec := smRawCall(t, srv, tc.op, []byte(tc.body))
		if rec.Code != http.StatusBadRequest {
			t.Fatalf("%s %s: status %d, body %s", tc.op, tc.body, rec.Code, rec.Body.String())
		}
		if got := smErrorType(t, rec); got != tc.code {
			t.Fatalf("%s %s: error %s, want %s", tc.op, tc.body, got, tc.code)
		}
	}
	// An empty body is an empty request, as AWS treats {}.
	if rec := smRawCall(t, srv, "ListSecrets", nil); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"SecretList":[]`) {
		t.Fatalf("ListSecrets with no body: %d %s", rec.Code, rec.Body.String())
	}
}

// FuzzSecretsManagerRequest feeds arbitrary bodies to a few operations: the
// emulator must never panic and never answer with a server error.
func FuzzSecretsManagerRequest(f *testing.F) {
	ops := []string{"CreateSecret", "PutSecretValue", "GetSecretValue", "UpdateSecretVersionStage", "ListSecrets",
		"GetRandomPassword", "DeleteSecret", "BatchGetSecretValue", "TagResource", "RotateSecret"}
	seeds := []string{
		`{"Name":"fuzz","SecretString":"v"}`,
		`{"SecretId":"fuzz","SecretString":"v2","VersionStages":["AWSPENDING"]}`,
		`{"SecretId":"fuzz","VersionStage":"AWSCURRENT","MoveToVersionId":"00000000000000000000000000000000"}`,
		`{"Filters":[{"Key":"all","Values":["!fu"]}],"MaxResults":1}`,
		`{"PasswordLength":4,"ExcludeCharacters":"abc"}`,
		`{"SecretId":"fuzz","RecoveryWindowInDays":7}`,
		`{"SecretIdList":["fuzz","nope"]}`,
		`{"SecretId":"fuzz","Tags":[{"Key":"k"}]}`,
		`{"SecretId":"fuzz","RotationLambdaARN":"arn","RotationRules":{"ScheduleExpression":"rate(4 hours)","Duration":"99h"}}`,
		`{`, `null`, `[]`, `"x"`, `{"SecretId":null}`, `{"PasswordLength":-1}`,
	}
	for i, s := range seeds {
		f.Add(uint8(i), []byte(s))
	}
	srv, err := New(Options{Ephemeral: true, Addr: "127.0.0.1:0"})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = srv.Close() })
	f.Fuzz(func(t *testing.T, opIndex uint8, body []byte) {
		op := ops[int(opIndex)%len(ops)]
		rec := smRawCall(t, srv, op, body)
		if rec.Code >= 500 {
			t.Fatalf("%s with %q: status %d %s", op, body, rec.Code, rec.Body.String())
		}
		if rec.Code != http.StatusOK {
			if typ := smErrorType(t, rec); typ == "" {
				t.Fatalf("%s with %q: error without __type: %s", op, body, rec.Body.String())
			}
		}
	})
}
