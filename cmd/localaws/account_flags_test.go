package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// TestAccountIDFlagRefused: an account id that is not 12 digits stops
// the program before it serves, saying what one looks like.
func TestAccountIDFlagRefused(t *testing.T) {
	for _, id := range []string{"12345", "1234567890123", "12345678901a", ""} {
		err := run([]string{"--ephemeral", "--account-id", id})
		if err == nil || !strings.Contains(err.Error(), "--account-id: account id") || !strings.Contains(err.Error(), "must be 12 digits") {
			t.Errorf("--account-id %q: %v", id, err)
		}
	}
}

// TestAccountIDFlag runs the program with --account-id: the account is in
// the ARNs, with the Region the client signs for.
func TestAccountIDFlag(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "localaws")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	addr := freeAddr(t)
	cmd := exec.Command(bin, "--addr", addr, "--ephemeral", "--log-level", "warn", "--account-id", "123456789012")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	})
	waitListening(t, addr)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	client := secretsmanager.New(secretsmanager.Options{Region: "us-west-2", BaseEndpoint: aws.String("http://" + addr),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDACCOUNT", "s", ""), RetryMaxAttempts: 1})
	out, err := client.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("app"), SecretString: aws.String("v")})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(*out.ARN, "arn:aws:secretsmanager:us-west-2:123456789012:secret:app-") {
		t.Fatalf("ARN %s", *out.ARN)
	}
}
