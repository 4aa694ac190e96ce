package localaws

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/smithy-go"
)

// smConns remembers each test server's client connections, so a test can
// drop them before closing the server.
var smConns sync.Map // *Server -> *smConnTracker

// smConnTracker records the connections a test client dials.
type smConnTracker struct {
	mu    sync.Mutex
	conns []net.Conn
}

func (ct *smConnTracker) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	conn, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err == nil {
		ct.mu.Lock()
		ct.conns = append(ct.conns, conn)
		ct.mu.Unlock()
	}
	return conn, err
}

func (ct *smConnTracker) closeAll() {
	ct.mu.Lock()
	defer ct.mu.Unlock()
	for _, c := range ct.conns {
		_ = c.Close()
	}
	ct.conns = nil
}

// startSMServer runs an emulator for one test and returns it with a real
// Secrets Manager client pointed at it.
func startSMServer(t *testing.T, opts Options) (*Server, *secretsmanager.Client) {
	t.Helper()
	if opts.DataDir == "" {
		opts.Ephemeral = true
	}
	opts.Addr = "127.0.0.1:0"
	srv, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := srv.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	ct := &smConnTracker{}
	smConns.Store(srv, ct)
	t.Cleanup(func() { _ = stopSMServer(srv) })
	return srv, newSMClient(t, srv.URL(), ct)
}

// stopSMServer closes the client's connections, then the server. A
// connection a client dialled but never used would otherwise hold
// http.Server.Shutdown (inside Close) for its full timeout.
func stopSMServer(srv *Server) error {
	if ct, ok := smConns.LoadAndDelete(srv); ok {
		ct.(*smConnTracker).closeAll()
	}
	return srv.Close()
}

// newSMClient builds the client the way credstage does (the default config
// chain), with static credentials and the emulator as endpoint.
func newSMClient(t *testing.T, url string, ct *smConnTracker) *secretsmanager.Client {
	t.Helper()
	httpClient := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) { tr.DialContext = ct.dial })
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKIDSMTEST", "secret", "")),
		config.WithSharedConfigFiles([]string{}),
		config.WithSharedCredentialsFiles([]string{}),
		config.WithRetryMaxAttempts(1),
		config.WithHTTPClient(httpClient),
	)
	if err != nil {
		t.Fatalf("LoadDefaultConfig: %v", err)
	}
	return secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) { o.BaseEndpoint = aws.String(url) })
}

func smCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// requireSMError asserts err is an AWS API error with the given code, an
// HTTP 400, and (when msgPart is set) a message containing msgPart.
func requireSMError(t *testing.T, err error, code, msgPart string) {
	t.Helper()
	if err == nil {
		t.Fatalf("expected %s, got success", code)
	}
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("expected API error %s, got %T: %v", code, err, err)
	}
	if apiErr.ErrorCode() != code {
		t.Fatalf("expected error code %s, got %s (%s)", code, apiErr.ErrorCode(), apiErr.ErrorMessage())
	}
	if msgPart != "" && !strings.Contains(apiErr.ErrorMessage(), msgPart) {
		t.Fatalf("expected %s message to contain %q, got %q", code, msgPart, apiErr.ErrorMessage())
	}
	var respErr *awshttp.ResponseError
	if errors.As(err, &respErr) && respErr.HTTPStatusCode() != http.StatusBadRequest {
		t.Fatalf("expected HTTP 400 for %s, got %d", code, respErr.HTTPStatusCode())
	}
}

// mustSM unwraps an SDK call's result, failing the test on an error:
// mustSM(c.DescribeSecret(ctx, in))(t).
func mustSM[T any](out T, err error) func(t *testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return out
	}
}

// smToken makes a valid ClientRequestToken (32-64 characters) from a label.
func smToken(label string) string {
	return (label + strings.Repeat("0", 32))[:32]
}

func createSMSecret(t *testing.T, c *secretsmanager.Client, name, value string) *secretsmanager.CreateSecretOutput {
	t.Helper()
	return mustSM(c.CreateSecret(smCtx(t), &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(value)}))(t)
}

// stagesOf returns the labels per version as DescribeSecret reports them.
func stagesOf(t *testing.T, c *secretsmanager.Client, id string) map[string][]string {
	t.Helper()
	d := mustSM(c.DescribeSecret(smCtx(t), &secretsmanager.DescribeSecretInput{SecretId: aws.String(id)}))(t)
	return d.VersionIdsToStages
}

func requireStages(t *testing.T, got map[string][]string, want map[string][]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("versions to stages: got %v, want %v", got, want)
	}
	for v, stages := range want {
		if !sameSet(got[v], stages) {
			t.Fatalf("version %s: got stages %v, want %v (all: %v)", v, got[v], stages, got)
		}
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]int{}
	for _, x := range a {
		seen[x]++
	}
	for _, x := range b {
		seen[x]--
	}
	for _, n := range seen {
		if n != 0 {
			return false
		}
	}
	return true
}

func valueAt(t *testing.T, c *secretsmanager.Client, id, stage string) *secretsmanager.GetSecretValueOutput {
	t.Helper()
	return mustSM(c.GetSecretValue(smCtx(t), &secretsmanager.GetSecretValueInput{SecretId: aws.String(id), VersionStage: aws.String(stage)}))(t)
}

func tagMap(tags []smtypes.Tag) map[string]string {
	m := map[string]string{}
	for _, tg := range tags {
		m[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	return m
}
