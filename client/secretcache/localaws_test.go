package secretcache

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// TestAgainstLocalAWS runs the cache against localaws, credstage's AWS
// emulator (built from this repository and run as a process, so this
// module does not depend on the rest of credstage): a new AWSCURRENT is
// served within the check interval, at one GetSecretValue per version.
func TestAgainstLocalAWS(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs localaws")
	}
	url := startLocalAWS(t)
	sm := secretsmanager.New(secretsmanager.Options{Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "client-test", SecretAccessKey: "client-test"}, nil
		})})
	ctx := context.Background()
	value := func(pw string) *string {
		return aws.String(`{"engine":"postgres","host":"127.0.0.1","port":5432,"username":"app","password":"` + pw + `","dbname":"orders"}`)
	}
	if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("staging/orders/app"), SecretString: value("first")}); err != nil {
		t.Fatal(err)
	}
	const interval = 400 * time.Millisecond
	c := New(sm, Options{CheckInterval: interval})
	s, err := c.Get(ctx, "staging/orders/app")
	if err != nil || s.Password != "first" {
		t.Fatalf("Get: %v, %v", s, err)
	}
	for i := range 3 {
		// A rotation's promote: the new version becomes AWSCURRENT.
		pw := fmt.Sprint("rotated-", i)
		if _, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("staging/orders/app"),
			SecretString: value(pw), VersionStages: []string{StageCurrent}}); err != nil {
			t.Fatal(err)
		}
		moved := time.Now()
		for s.Password != pw {
			if time.Since(moved) > interval+time.Second {
				t.Fatalf("rotation %d not served %v after it (interval %v)", i, time.Since(moved), interval)
			}
			time.Sleep(20 * time.Millisecond)
			if s, err = c.Get(ctx, "staging/orders/app"); err != nil || s.Stale != nil {
				t.Fatalf("Get: %v (stale %v)", err, s.Stale)
			}
		}
	}
	if st := c.Stats(); st.Fetches != 4 || st.Describes < 3 {
		t.Fatalf("stats %+v: want one GetSecretValue per version (4)", st)
	}
	// A version list of another shape than the fake's: the real
	// DescribeSecret after a rotation lists AWSPREVIOUS too.
	out, err := sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("staging/orders/app")})
	if err != nil || versionWith(out, StageCurrent) != s.VersionID {
		t.Fatalf("current version %q, served %q: %v", versionWith(out, StageCurrent), s.VersionID, err)
	}
}

// startLocalAWS builds localaws from this repository and runs it until the
// test ends (stopped by its process id), with state in a test folder.
func startLocalAWS(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "localaws")
	build := exec.Command("go", "build", "-o", bin, "./cmd/localaws")
	build.Dir = filepath.Join("..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build localaws: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	var logs bytes.Buffer
	cmd := exec.Command(bin, "--addr", addr, "--data-dir", filepath.Join(dir, "state"), "--log-level", "warn")
	cmd.Stdout, cmd.Stderr = &logs, &logs
	cmd.Env = os.Environ()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	})
	url := "http://" + addr
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(url + "/_localaws/health"); err == nil {
			resp.Body.Close()
			return url
		}
		if time.Now().After(deadline) {
			t.Fatalf("localaws did not start: %s", logs.String())
		}
	}
}
