package activities

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/credstage/credstage/localaws"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
)

// The activity tests below run against the real local stack: localaws
// in-process (Secrets Manager, RDS with a real PostgreSQL cluster per
// instance, CloudWatch) and the activities executed by the Temporal SDK's
// TestActivityEnvironment. One instance is provisioned for the whole
// package (initdb costs seconds); every test makes its own users and
// secrets on it.

const (
	stackInstance = "credstage-acts"
	stackEnv      = "staging"
	stackDB       = "appdb"
	// stackRun is the provisioning run mark of what the tests provision.
	stackRun = "stack-run"
)

// stack is the shared local stack.
type stack struct {
	srv      *localaws.Server
	cfg      aws.Config
	acts     *Activities
	sm       *secretsmanager.Client
	rds      *rds.Client
	cw       *cloudwatch.Client
	instance InstanceInfo
	caBundle *CABundle
	logs     *lockedBuffer
	suite    *testsuite.WorkflowTestSuite
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var (
	sharedOnce  sync.Once
	sharedStack *stack
	sharedErr   error
)

func TestMain(m *testing.M) {
	flag.Parse()
	// Inner steps called outside an activity log through slog's default.
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	code := m.Run()
	if sharedStack != nil {
		sharedStack.close()
	}
	os.Exit(code)
}

// localStack returns the shared stack, provisioning it on first use.
func localStack(t testing.TB) *stack {
	t.Helper()
	if testing.Short() {
		t.Skip("local stack tests skipped in -short mode")
	}
	sharedOnce.Do(func() { sharedStack, sharedErr = startStack() })
	if sharedErr != nil {
		t.Fatalf("local stack: %v", sharedErr)
	}
	return sharedStack
}

func awsConfig(url string) aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDCREDSTAGE", "test-secret", ""),
		BaseEndpoint: aws.String(url),
	}
}

func startStack() (*stack, error) {
	srv, err := localaws.New(localaws.Options{Ephemeral: true, Addr: "127.0.0.1:0"})
	if err != nil {
		return nil, err
	}
	if err := srv.Start(); err != nil {
		srv.Close()
		return nil, err
	}
	st := &stack{srv: srv, cfg: awsConfig(srv.URL()), logs: &lockedBuffer{}}
	if st.caBundle, err = CABundleFromPEM(srv.RDSCABundle(), "localaws's RDS CA bundle"); err != nil {
		srv.Close()
		return nil, err
	}
	// A short master-login window: the wrong-master cases must not wait
	// out the production one.
	st.acts = st.newActs(Options{MetricsBackoff: 20 * time.Millisecond, MasterAuthWindow: 2 * time.Second, MasterAuthBackoff: 200 * time.Millisecond})
	st.sm = secretsmanager.NewFromConfig(st.cfg)
	st.rds = rds.NewFromConfig(st.cfg)
	st.cw = cloudwatch.NewFromConfig(st.cfg)
	st.suite = &testsuite.WorkflowTestSuite{}
	st.suite.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(st.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))

	start := time.Now()
	if _, err := st.exec(st.acts.CreateDBInstance, ProvisionRequest{Identifier: stackInstance, Environment: stackEnv, DBName: stackDB, Run: stackRun}); err != nil {
		st.close()
		return nil, fmt.Errorf("CreateDBInstance: %w", err)
	}
	val, err := st.exec(st.acts.WaitInstanceAvailable, WaitInstanceInput{Identifier: stackInstance, MinDelay: 100 * time.Millisecond, MaxDelay: time.Second})
	if err == nil {
		err = val.Get(&st.instance)
	}
	if err != nil {
		st.close()
		return nil, fmt.Errorf("WaitInstanceAvailable: %w", err)
	}
	fmt.Printf("local stack: instance %s available at %s:%d in %v\n", stackInstance, st.instance.Address, st.instance.Port, time.Since(start).Round(time.Millisecond))
	return st, nil
}

// newActs makes activities over the stack that trust its instances'
// certificates, as a worker given the RDS CA bundle does.
func (st *stack) newActs(o Options) *Activities {
	o.RDSCABundle = st.caBundle
	return New(st.cfg, o)
}

// connConfig is the login configuration the stack's activities would use.
func (st *stack) connConfig(t testing.TB, secretID string, s DBSecret) *pgx.ConnConfig {
	t.Helper()
	cfg, err := st.acts.connConfig(secretID, s)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func (st *stack) close() {
	st.acts.Close()
	if err := st.srv.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "localaws close:", err)
	}
}

type encoded interface {
	Get(valuePtr any) error
	HasValue() bool
}

// exec runs one activity in a fresh TestActivityEnvironment.
func (st *stack) exec(fn any, args ...any) (encoded, error) {
	env := st.suite.NewTestActivityEnvironment()
	env.RegisterActivityWithOptions(st.acts, RegisterOptions)
	return env.ExecuteActivity(fn, args...)
}

// run executes an activity and decodes its result.
func run[T any](t *testing.T, st *stack, fn any, arg any) (T, error) {
	t.Helper()
	var out T
	val, err := st.exec(fn, arg)
	if err == nil && val != nil && val.HasValue() {
		if gerr := val.Get(&out); gerr != nil {
			t.Fatalf("decode result: %v", gerr)
		}
	}
	return out, err
}

// must executes an activity that must succeed.
func must[T any](t *testing.T, st *stack, fn any, arg any) T {
	t.Helper()
	out, err := run[T](t, st, fn, arg)
	if err != nil {
		t.Fatalf("activity failed: %v", err)
	}
	return out
}

// mustFail executes an activity that must fail with the given error type.
func mustFail(t *testing.T, st *stack, fn any, arg any, errType string) *temporal.ApplicationError {
	t.Helper()
	_, err := st.exec(fn, arg)
	if err == nil {
		t.Fatalf("activity succeeded, want %s", errType)
	}
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || app.Type() != errType {
		t.Fatalf("error %v, want type %s", err, errType)
	}
	st.assertNoPasswords(t, err.Error())
	return app
}

var userSeq atomic.Int64

// newUser provisions a fresh app user on the shared instance and returns
// its secret name.
func (st *stack) newUser(t *testing.T, strategy Strategy, grants ...string) string {
	t.Helper()
	return st.newUserTB(t, strategy, grants...)
}

func (st *stack) newUserTB(t testing.TB, strategy Strategy, grants ...string) string {
	t.Helper()
	name := fmt.Sprintf("u%d_%s", userSeq.Add(1), strings.ReplaceAll(strings.ToLower(t.Name()), "/", "_"))
	name = strings.Map(func(r rune) rune {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '_' {
			return r
		}
		return '_'
	}, name)
	if len(name) > 40 {
		name = name[:40]
	}
	res, err := st.acts.CreateAppUser(context.Background(), AppUserInput{
		Instance: st.instance, Environment: stackEnv, Run: stackRun,
		User: AppUser{Name: name, Strategy: strategy, Grants: grants},
	})
	if err != nil {
		t.Fatalf("CreateAppUser: %v", err)
	}
	return res.SecretName
}

func newStep(secret string, strategy Strategy) RotationStep {
	return RotationStep{SecretID: secret, Token: uuid.NewString(), Strategy: strategy, Environment: stackEnv}
}

// stages returns version id -> labels of a secret.
func (st *stack) stages(t *testing.T, secret string) map[string][]string {
	t.Helper()
	out, err := st.sm.DescribeSecret(context.Background(), &secretsmanager.DescribeSecretInput{SecretId: aws.String(secret)})
	if err != nil {
		t.Fatal(err)
	}
	return out.VersionIdsToStages
}

func versionWith(stages map[string][]string, label string) string {
	for id, labels := range stages {
		for _, l := range labels {
			if l == label {
				return id
			}
		}
	}
	return ""
}

// assertInvariant is docs/architecture.md §2's: AWSCURRENT logs in, no AWSPENDING.
func (st *stack) assertInvariant(t *testing.T, secret string) {
	t.Helper()
	if pending := versionWith(st.stages(t, secret), stagePending); pending != "" {
		t.Fatalf("secret %s: AWSPENDING left on %s", secret, pending)
	}
	if _, err := st.exec(st.acts.VerifyLogin, LoginCheckInput{SecretID: secret}); err != nil {
		t.Fatalf("secret %s: AWSCURRENT does not log in: %v", secret, err)
	}
}

// currentLogsIn reports whether a stage's credentials log in.
func (st *stack) logsIn(secret, stage string) bool {
	_, err := st.exec(st.acts.VerifyLogin, LoginCheckInput{SecretID: secret, VersionStage: stage})
	return err == nil
}

// allPasswords lists the password of every version of every secret.
func (st *stack) allPasswords(t *testing.T) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	pages := secretsmanager.NewListSecretsPaginator(st.sm, &secretsmanager.ListSecretsInput{IncludePlannedDeletion: aws.Bool(true)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range page.SecretList {
			versions, err := st.sm.ListSecretVersionIds(ctx, &secretsmanager.ListSecretVersionIdsInput{SecretId: s.ARN, IncludeDeprecated: aws.Bool(true)})
			if err != nil {
				continue
			}
			for _, v := range versions.Versions {
				val, err := st.sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: s.ARN, VersionId: v.VersionId})
				if err != nil || val.SecretString == nil {
					continue
				}
				var m map[string]any
				if json.Unmarshal([]byte(*val.SecretString), &m) == nil {
					if pw, ok := m["password"].(string); ok && len(pw) >= 8 {
						out = append(out, pw)
					}
				}
			}
		}
	}
	return out
}

// assertNoPasswords fails if any stored password appears in text.
func (st *stack) assertNoPasswords(t *testing.T, texts ...string) {
	t.Helper()
	for _, pw := range st.allPasswords(t) {
		for _, text := range texts {
			if strings.Contains(text, pw) {
				t.Fatalf("a password leaked into %q", truncate(text, 200))
			}
		}
	}
}

// serverLog is the PostgreSQL log of the shared instance.
func (st *stack) serverLog(t *testing.T) string {
	t.Helper()
	dir, err := st.srv.InstanceDataDir(stackInstance)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "postgres.log"))
	if err != nil {
		t.Logf("no server log: %v", err)
	}
	return string(b)
}

// masterLogin is the instance's master credentials, for test-side SQL.
func (st *stack) masterLogin(t *testing.T) DBSecret {
	t.Helper()
	val, err := st.sm.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(st.instance.MasterSecretARN)})
	if err != nil {
		t.Fatal(err)
	}
	ms, err := parseMasterSecret("master", *val.SecretString)
	if err != nil {
		t.Fatal(err)
	}
	return instanceLogin(st.instance, ms)
}

// putSecret creates a secret with the given JSON value.
func (st *stack) putSecret(t *testing.T, name string, value any) string {
	t.Helper()
	b, _ := json.Marshal(value)
	out, err := st.sm.CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(string(b))})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.ARN)
}

func (st *stack) secretJSON(t *testing.T, secret, stage string) DBSecret {
	t.Helper()
	val, err := st.sm.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(secret), VersionStage: aws.String(stage)})
	if err != nil {
		t.Fatal(err)
	}
	s, err := parseAppSecret(secret, *val.SecretString)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// putCurrent writes s as a new AWSCURRENT version.
func (st *stack) putCurrent(t *testing.T, secret string, s DBSecret) {
	t.Helper()
	value, err := s.withCredentials(s.Username, s.Password)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.sm.PutSecretValue(context.Background(), &secretsmanager.PutSecretValueInput{SecretId: aws.String(secret), SecretString: aws.String(value)}); err != nil {
		t.Fatal(err)
	}
}
