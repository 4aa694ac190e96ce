package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"
)

// TestQuotaFlagsRefused: the quota file and scale need --quotas aws, and
// a bad value stops the program before it serves.
func TestQuotaFlagsRefused(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("families:\n  secretsmanager:write: {rate: 1}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--ephemeral", "--quota-config", bad}, "--quota-config is only read with --quotas aws"},
		{[]string{"--ephemeral", "--quota-scale", "0.1"}, "--quota-scale is only read with --quotas aws"},
		{[]string{"--ephemeral", "--quotas", "on"}, `--quotas "on": want aws or off`},
		{[]string{"--ephemeral", "--quotas", "aws", "--quota-scale", "0"}, "--quota-scale 0: must be a positive number"},
		{[]string{"--ephemeral", "--quotas", "aws", "--quota-config", bad}, `unknown family "secretsmanager:write"`},
		{[]string{"--ephemeral", "--quotas", "aws", "--quota-config", filepath.Join(dir, "none.yaml")}, "no such file"},
	} {
		if err := run(c.args); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("run(%q) = %v, want an error containing %q", c.args, err, c.want)
		}
	}
}

// TestQuotasFlag runs the program with --quotas aws, a config file and a
// scale: the file's family is throttled at its rate, the scale reaches
// the rest of the table, and the admin view shows both.
func TestQuotasFlag(t *testing.T) {
	cfgPath := filepath.Join(t.TempDir(), "quotas.yaml")
	if err := os.WriteFile(cfgPath, []byte("scale: 0.5\nfamilies:\n  secretsmanager:GetRandomPassword: {rate: 0.1, burst: 1}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := serveBuilt(t, "--quotas", "aws", "--quota-config", cfgPath, "--quota-scale", "0.25")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	client := secretsmanager.New(secretsmanager.Options{Region: "us-east-1", BaseEndpoint: aws.String("http://" + addr),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDLOCAL", "s", ""), Retryer: retry.AddWithMaxAttempts(retry.NewStandard(), 1)})
	if _, err := client.GetRandomPassword(ctx, &secretsmanager.GetRandomPasswordInput{}); err != nil {
		t.Fatalf("first call: %v", err)
	}
	_, err := client.GetRandomPassword(ctx, &secretsmanager.GetRandomPasswordInput{})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "ThrottlingException" {
		t.Fatalf("second call: %v, want ThrottlingException", err)
	}

	resp, err := http.Get("http://" + addr + "/_localaws/quotas")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var view struct {
		Enabled  bool
		Families []struct {
			Name        string
			Rate, Burst float64
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&view); err != nil {
		t.Fatal(err)
	}
	rates := map[string][2]float64{}
	for _, f := range view.Families {
		rates[f.Name] = [2]float64{f.Rate, f.Burst}
	}
	if !view.Enabled || rates["secretsmanager:GetRandomPassword"] != [2]float64{0.1, 1} || rates["rds:api"] != [2]float64{3, 75} {
		t.Fatalf("quota view %+v: want the file's family as written and the flag's scale 0.25 elsewhere", rates)
	}
}
