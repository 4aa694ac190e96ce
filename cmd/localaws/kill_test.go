package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/jackc/pgx/v5"

	"github.com/credstage/credstage/localaws"
)

// TestStateSurvivesSIGKILL kills the emulator program with SIGKILL (no
// Close, no chance to save anything more) and starts it again on the same
// data folder: the secret, the instance and its managed master secret are
// back, and the master credentials still log in to the real PostgreSQL.
func TestStateSurvivesSIGKILL(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "localaws")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	dataDir := filepath.Join(t.TempDir(), "state")
	addr := freeAddr(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	first := startEmulator(t, bin, addr, dataDir)
	sm, db := clients(t, addr)
	if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("kept/app"), SecretString: aws.String(`{"username":"app"}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{DBInstanceIdentifier: aws.String("kept"), Engine: aws.String("postgres"),
		DBInstanceClass: aws.String("db.t4g.micro"), MasterUsername: aws.String("postgres"), ManageMasterUserPassword: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	waiter := rds.NewDBInstanceAvailableWaiter(db, func(o *rds.DBInstanceAvailableWaiterOptions) { o.MinDelay = 200 * time.Millisecond })
	if err := waiter.Wait(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String("kept")}, 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	_ = first.Process.Signal(syscall.SIGKILL)
	_ = first.Wait()

	second := startEmulator(t, bin, addr, dataDir)
	t.Cleanup(func() {
		// SIGTERM: the program stops every PostgreSQL cluster it runs.
		_ = second.Process.Signal(syscall.SIGTERM)
		_ = second.Wait()
	})
	sm, db = clients(t, addr)
	if _, err := sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("kept/app")}); err != nil {
		t.Fatalf("secret lost by the kill: %v", err)
	}
	out, err := db.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String("kept")})
	if err != nil || len(out.DBInstances) != 1 {
		t.Fatalf("instance lost by the kill: %v", err)
	}
	inst := out.DBInstances[0]
	if s := aws.ToString(inst.DBInstanceStatus); s != "available" {
		t.Fatalf("instance status %s after restart, want available", s)
	}
	val, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: inst.MasterUserSecret.SecretArn})
	if err != nil {
		t.Fatal(err)
	}
	var master struct{ Username, Password string }
	if err := json.Unmarshal([]byte(aws.ToString(val.SecretString)), &master); err != nil {
		t.Fatal(err)
	}
	// The CA outlives the kill: its bundle in the data folder still
	// verifies the instance's certificate, host name included.
	cfg, err := pgx.ParseConfig(fmt.Sprintf("host=%s port=%d sslmode=verify-full dbname=postgres sslrootcert=%s",
		aws.ToString(inst.Endpoint.Address), aws.ToInt32(inst.Endpoint.Port), filepath.Join(dataDir, localaws.CABundleFile)))
	if err != nil {
		t.Fatal(err)
	}
	cfg.User, cfg.Password = master.Username, master.Password
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("master login after restart: %v", err)
	}
	conn.Close(ctx)
	if _, err := db.DeleteDBInstance(ctx, &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String("kept"), SkipFinalSnapshot: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	deleted := rds.NewDBInstanceDeletedWaiter(db, func(o *rds.DBInstanceDeletedWaiterOptions) { o.MinDelay = 200 * time.Millisecond })
	if err := deleted.Wait(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String("kept")}, time.Minute); err != nil {
		t.Fatal(err)
	}
}

func startEmulator(t *testing.T, bin, addr, dataDir string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, "--addr", addr, "--data-dir", dataDir, "--log-level", "warn")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return cmd
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatalf("localaws did not listen on %s", addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func clients(t *testing.T, addr string) (*secretsmanager.Client, *rds.Client) {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion("us-east-1"),
		config.WithBaseEndpoint("http://"+addr),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("k", "s", "")))
	if err != nil {
		t.Fatal(err)
	}
	return secretsmanager.NewFromConfig(cfg), rds.NewFromConfig(cfg)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return fmt.Sprint(l.Addr())
}
