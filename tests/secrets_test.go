package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/jackc/pgx/v5"
)

// rdsSecret is the standard RDS secret JSON, read here independently of the
// activities package so the checks do not share the code they check.
type rdsSecret struct {
	Host     string `json:"host"`
	Port     any    `json:"port"`
	Username string `json:"username"`
	Password string `json:"password"`
	DBName   string `json:"dbname"`
}

func (s rdsSecret) port() (uint16, error) {
	switch p := s.Port.(type) {
	case float64:
		return uint16(p), nil
	case string:
		n, err := strconv.Atoi(p)
		return uint16(n), err
	}
	return 0, fmt.Errorf("port %v is neither a number nor a string", s.Port)
}

// labels returns the secret's version id -> staging labels.
func labels(ctx context.Context, t *testing.T, sm *secretsmanager.Client, secretID string) map[string][]string {
	t.Helper()
	out, err := sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(secretID)})
	if err != nil {
		t.Fatalf("describe %s: %v", secretID, err)
	}
	return out.VersionIdsToStages
}

// versionWith is the version holding a label, or "".
func versionWith(ctx context.Context, t *testing.T, sm *secretsmanager.Client, secretID, label string) string {
	t.Helper()
	for v, stages := range labels(ctx, t, sm, secretID) {
		for _, s := range stages {
			if s == label {
				return v
			}
		}
	}
	return ""
}

func readSecret(ctx context.Context, sm *secretsmanager.Client, secretID, stage, versionID string) (rdsSecret, error) {
	in := &secretsmanager.GetSecretValueInput{SecretId: aws.String(secretID)}
	if versionID != "" {
		in.VersionId = aws.String(versionID)
	} else {
		in.VersionStage = aws.String(stage)
	}
	out, err := sm.GetSecretValue(ctx, in)
	if err != nil {
		return rdsSecret{}, err
	}
	var s rdsSecret
	if err := json.Unmarshal([]byte(aws.ToString(out.SecretString)), &s); err != nil {
		return rdsSecret{}, fmt.Errorf("secret %s is not JSON", secretID)
	}
	return s, nil
}

// appConnConfig is an application's connection to an RDS endpoint: TLS
// with the certificate and host name checked against the RDS CA bundle,
// and the password only ever sent through SCRAM.
func appConnConfig(host string, port int, caBundle string) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(fmt.Sprintf("host=%s port=%d sslmode=verify-full sslrootcert=%s require_auth=scram-sha-256 connect_timeout=10", host, port, caBundle))
	if err != nil {
		return nil, err
	}
	cfg.Fallbacks = nil
	return cfg, nil
}

// login opens a real PostgreSQL session with the secret's credentials, as
// an application would.
func (st *e2eStack) login(ctx context.Context, s rdsSecret) error {
	port, err := s.port()
	if err != nil {
		return err
	}
	cfg, err := appConnConfig(s.Host, int(port), st.aws.Server.RDSCABundlePath())
	if err != nil {
		return err
	}
	cfg.User, cfg.Password, cfg.Database = s.Username, s.Password, s.DBName
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	var one int
	return conn.QueryRow(ctx, "SELECT 1").Scan(&one)
}

// assertInvariant is the invariant every rotation keeps: AWSCURRENT logs
// in, and no AWSPENDING is left.
func assertInvariant(ctx context.Context, t *testing.T, st *e2eStack, secretID string) {
	t.Helper()
	if v := versionWith(ctx, t, st.sm, secretID, "AWSPENDING"); v != "" {
		t.Errorf("%s: AWSPENDING left on version %s", secretID, v)
	}
	s, err := readSecret(ctx, st.sm, secretID, "AWSCURRENT", "")
	if err != nil {
		t.Errorf("%s: read AWSCURRENT: %v", secretID, err)
		return
	}
	if err := st.login(ctx, s); err != nil {
		t.Errorf("%s: AWSCURRENT does not log in as %s: %s", secretID, s.Username, redact(err.Error(), s.Password))
	}
}

// allPasswords reads every password Secrets Manager holds, in every
// version of every secret (RDS's managed master secrets included): the
// strings no log, history or metric may contain.
func allPasswords(ctx context.Context, t *testing.T, sm *secretsmanager.Client) []string {
	t.Helper()
	var out []string
	p := secretsmanager.NewListSecretsPaginator(sm, &secretsmanager.ListSecretsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, sec := range page.SecretList {
			versions, err := sm.ListSecretVersionIds(ctx, &secretsmanager.ListSecretVersionIdsInput{
				SecretId: sec.ARN, IncludeDeprecated: aws.Bool(true)})
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range versions.Versions {
				s, err := readSecret(ctx, sm, aws.ToString(sec.ARN), "", aws.ToString(v.VersionId))
				if err != nil {
					t.Fatalf("read %s version %s: %v", aws.ToString(sec.Name), aws.ToString(v.VersionId), err)
				}
				if s.Password != "" {
					out = append(out, s.Password)
				}
			}
		}
	}
	return out
}

// assertNoPassword fails the test when text contains any of the passwords,
// without printing the password.
func assertNoPassword(t *testing.T, where, text string, passwords []string) {
	t.Helper()
	for i, p := range passwords {
		if strings.Contains(text, p) {
			t.Errorf("%s contains password #%d of %d (%d characters)", where, i+1, len(passwords), len(p))
		}
	}
}

func redact(s, password string) string {
	if password == "" {
		return s
	}
	return strings.ReplaceAll(s, password, "<password>")
}
