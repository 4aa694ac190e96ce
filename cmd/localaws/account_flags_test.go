package main

import (
	"context"
	"strings"
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
	addr := serveBuilt(t, "--account-id", "123456789012")
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
