package localaws

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/credstage/credstage/localaws/internal/mycluster"
	"github.com/go-sql-driver/mysql"
)

// myLogin opens a real TCP session with mysql_native_password, over TLS
// verified against pool (the CA bundle) when pool is set, in plaintext
// otherwise, and pings it.
func myLogin(ctx context.Context, endpoint *rdstypes.Endpoint, user, password, db string, pool *x509.CertPool) (*sql.DB, error) {
	cfg := mysql.NewConfig()
	cfg.Net, cfg.User, cfg.Passwd, cfg.DBName = "tcp", user, password, db
	cfg.Addr = aws.ToString(endpoint.Address) + ":" + strconv.Itoa(int(aws.ToInt32(endpoint.Port)))
	cfg.Timeout = 10 * time.Second
	if pool != nil {
		cfg.TLS = &tls.Config{RootCAs: pool, ServerName: aws.ToString(endpoint.Address), MinVersion: tls.VersionTLS12}
	}
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	db2 := sql.OpenDB(connector)
	if err := db2.PingContext(ctx); err != nil {
		db2.Close()
		return nil, err
	}
	return db2, nil
}

// mustMyLogin logs in over verified TLS and checks the session is TLS.
func mustMyLogin(t *testing.T, endpoint *rdstypes.Endpoint, user, password, db string, pool *x509.CertPool) {
	t.Helper()
	ctx := rdsCtx(t)
	conn, err := myLogin(ctx, endpoint, user, password, db, pool)
	if err != nil {
		t.Fatalf("login as %s: %v", user, err)
	}
	defer conn.Close()
	var name, cipher string
	if err := conn.QueryRowContext(ctx, "SHOW SESSION STATUS LIKE 'Ssl_cipher'").Scan(&name, &cipher); err != nil || cipher == "" {
		t.Fatalf("session of %s: Ssl_cipher %q, %v", user, cipher, err)
	}
}

// mustMyRefuse checks a login fails with error 1045 (access denied).
func mustMyRefuse(t *testing.T, endpoint *rdstypes.Endpoint, user, password, db string, pool *x509.CertPool) {
	t.Helper()
	conn, err := myLogin(rdsCtx(t), endpoint, user, password, db, pool)
	if err == nil {
		conn.Close()
		t.Fatalf("login as %s with a stale password succeeded", user)
	}
	var me *mysql.MySQLError
	if !errors.As(err, &me) || me.Number != 1045 {
		t.Fatalf("login as %s: got %v, want error 1045", user, err)
	}
}

// rdsCAPool is the CA bundle as a client downloads it.
func rdsCAPool(t *testing.T, srv *Server) *x509.CertPool {
	t.Helper()
	resp, err := http.Get(srv.URL() + "/_localaws/rds/ca.pem")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	pem, err := io.ReadAll(resp.Body)
	pool := x509.NewCertPool()
	if err != nil || !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("ca.pem: %v", err)
	}
	return pool
}

// TestRDSMariaDB runs a mariadb instance with a managed master secret and
// a mysql instance with a chosen password through their lives on one
// emulator and its restart: verified TLS logins, require_secure_transport
// by parameter group, rotation, an outage, a reboot, recovery of an
// interrupted password change, and delete.
func TestRDSMariaDB(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "state")
	srv, client := startRDSServer(t, Options{DataDir: dataDir})
	if srv.rds.myErr != nil {
		t.Skipf("no MariaDB here (run make mariadb): %v", srv.rds.myErr)
	}
	sm := newRDSTestSMClient(srv.URL())
	ctx := rdsCtx(t)
	pool := rdsCAPool(t, srv)
	if _, err := client.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{
		DBInstanceIdentifier: aws.String("maria"), DBInstanceClass: aws.String("db.t4g.micro"), Engine: aws.String("mariadb"),
		MasterUsername: aws.String("admin"), ManageMasterUserPassword: aws.Bool(true), DBName: aws.String("app"),
	}); err != nil {
		t.Fatal(err)
	}
	const mysqlPW, mysqlPW2 = "Chosen-Pass-1", "After-Crash-2"
	my := createWithPassword(t, client, "my8", "admin", mysqlPW, func(in *rds.CreateDBInstanceInput) { in.Engine = aws.String("mysql") })
	db := waitAvailable(t, client, "maria")
	if v := aws.ToString(db.EngineVersion); !strings.HasPrefix(v, strings.Join(strings.Split(srv.rds.mariadbVersion, ".")[:2], ".")) ||
		aws.ToString(db.LicenseModel) != "general-public-license" || aws.ToString(db.DBParameterGroups[0].DBParameterGroupName) != "default."+srv.rds.familyOf("mariadb") {
		t.Fatalf("mariadb instance: version %s, license %s, group %s", v, aws.ToString(db.LicenseModel), aws.ToString(db.DBParameterGroups[0].DBParameterGroupName))
	}
	if v := aws.ToString(my.EngineVersion); v != mysqlEngineVersion || aws.ToString(my.DBName) != "" {
		t.Fatalf("mysql instance: version %s, DBName %q", v, aws.ToString(my.DBName))
	}
	arn := aws.ToString(db.MasterUserSecret.SecretArn)
	first := readMasterSecret(t, sm, arn, "AWSCURRENT")
	mustMyLogin(t, db.Endpoint, "admin", first.Password, "app", pool)
	mustMyLogin(t, my.Endpoint, "admin", mysqlPW, "", pool)

	t.Run("require_secure_transport", func(t *testing.T) {
		// RDS's default for MariaDB 10.11 is 0: plaintext is taken.
		plain, err := myLogin(ctx, db.Endpoint, "admin", first.Password, "app", nil)
		if err != nil {
			t.Fatalf("plaintext login with the default group: %v", err)
		}
		plain.Close()
		if _, err := client.CreateDBParameterGroup(ctx, &rds.CreateDBParameterGroupInput{DBParameterGroupName: aws.String("strict"),
			DBParameterGroupFamily: aws.String(srv.rds.familyOf("mariadb")), Description: aws.String("TLS only")}); err != nil {
			t.Fatal(err)
		}
		if _, err := client.ModifyDBParameterGroup(ctx, &rds.ModifyDBParameterGroupInput{DBParameterGroupName: aws.String("strict"),
			Parameters: []rdstypes.Parameter{{ParameterName: aws.String("rds.force_ssl"), ParameterValue: aws.String("1"), ApplyMethod: rdstypes.ApplyMethodImmediate}}}); err == nil {
			t.Fatal("rds.force_ssl accepted in a mariadb group")
		}
		if _, err := client.ModifyDBParameterGroup(ctx, &rds.ModifyDBParameterGroupInput{DBParameterGroupName: aws.String("strict"),
			Parameters: []rdstypes.Parameter{{ParameterName: aws.String("require_secure_transport"), ParameterValue: aws.String("1"), ApplyMethod: rdstypes.ApplyMethodImmediate}}}); err != nil {
			t.Fatal(err)
		}
		_, err = client.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("my8"), DBParameterGroupName: aws.String("strict"), ApplyImmediately: aws.Bool(true)})
		wantAPIError(t, err, "InvalidParameterCombination", 400)
		if _, err := client.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("maria"), DBParameterGroupName: aws.String("strict"), ApplyImmediately: aws.Bool(true)}); err != nil {
			t.Fatal(err)
		}
		waitAvailable(t, client, "maria")
		if plain, err := myLogin(ctx, db.Endpoint, "admin", first.Password, "app", nil); err == nil {
			plain.Close()
			t.Fatal("plaintext login with require_secure_transport=1")
		}
		mustMyLogin(t, db.Endpoint, "admin", first.Password, "app", pool)
	})

	second := first
	t.Run("rotate", func(t *testing.T) {
		if _, err := client.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("maria"),
			RotateMasterUserPassword: aws.Bool(true), ApplyImmediately: aws.Bool(true)}); err != nil {
			t.Fatal(err)
		}
		waitAvailable(t, client, "maria")
		second = readMasterSecret(t, sm, arn, "AWSCURRENT")
		if second.Password == first.Password {
			t.Fatal("AWSCURRENT unchanged by the rotation")
		}
		mustMyLogin(t, db.Endpoint, "admin", second.Password, "app", pool)
		mustMyRefuse(t, db.Endpoint, "admin", first.Password, "app", pool)
	})

	t.Run("outage", func(t *testing.T) {
		if code := adminPost(t, srv, "/_localaws/rds/instances/maria/stop-db"); code != http.StatusNoContent {
			t.Fatalf("stop-db: HTTP %d", code)
		}
		if s := aws.ToString(describeOne(t, client, "maria").DBInstanceStatus); s != "available" || rdsServer(t, srv, "maria").Running() {
			t.Fatalf("during the outage: status %q, running %v", s, rdsServer(t, srv, "maria").Running())
		}
		if conn, err := myLogin(ctx, db.Endpoint, "admin", second.Password, "app", pool); err == nil {
			conn.Close()
			t.Fatal("login works during the outage")
		}
		_, err := client.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("maria"), RotateMasterUserPassword: aws.Bool(true), ApplyImmediately: aws.Bool(true)})
		wantAPIError(t, err, "InvalidDBInstanceState", 400)
		if code := adminPost(t, srv, "/_localaws/rds/instances/maria/start-db"); code != http.StatusNoContent {
			t.Fatalf("start-db: HTTP %d", code)
		}
		mustMyLogin(t, db.Endpoint, "admin", second.Password, "app", pool)
		if err := srv.StopInstanceDB("my8"); err != nil {
			t.Fatal(err)
		}
		if err := srv.StartInstanceDB("my8"); err != nil {
			t.Fatal(err)
		}
		mustMyLogin(t, my.Endpoint, "admin", mysqlPW, "", pool)
	})

	t.Run("reboot", func(t *testing.T) {
		before := rdsServer(t, srv, "maria").PID()
		if _, err := client.RebootDBInstance(ctx, &rds.RebootDBInstanceInput{DBInstanceIdentifier: aws.String("maria")}); err != nil {
			t.Fatal(err)
		}
		waitAvailable(t, client, "maria")
		if after := rdsServer(t, srv, "maria").PID(); after == before || after == 0 {
			t.Fatalf("pid %d before the reboot, %d after", before, after)
		}
		mustMyLogin(t, db.Endpoint, "admin", second.Password, "app", pool)
	})

	// A restart finds a password change recorded but not applied (as a
	// crash leaves it) and applies it from the stored hash.
	closeRDSServer(t, srv)
	statePath := filepath.Join(dataDir, "rds.json")
	var st rdsState
	if _, err := loadJSON(statePath, &st); err != nil {
		t.Fatal(err)
	}
	for _, in := range st.Instances {
		if in.Identifier == "my8" {
			in.Status, in.PendingVerifier = statusResetting, mycluster.NativePasswordHash(mysqlPW2)
		}
	}
	if err := saveJSON(statePath, st); err != nil {
		t.Fatal(err)
	}
	srv2, client2 := startRDSServer(t, Options{DataDir: dataDir})
	if s := aws.ToString(describeOne(t, client2, "my8").DBInstanceStatus); s != "available" {
		t.Fatalf("my8 after the restart: %q", s)
	}
	mustMyLogin(t, my.Endpoint, "admin", mysqlPW2, "", rdsCAPool(t, srv2))
	mustMyRefuse(t, my.Endpoint, "admin", mysqlPW, "", pool)
	mustMyLogin(t, db.Endpoint, "admin", second.Password, "app", pool)
	if plain, err := myLogin(ctx, db.Endpoint, "admin", second.Password, "app", nil); err == nil {
		plain.Close()
		t.Fatal("require_secure_transport lost over the restart")
	}
	state, err := os.ReadFile(statePath)
	if err != nil {
		t.Fatal(err)
	}
	for _, pw := range []string{first.Password, second.Password, mysqlPW, mysqlPW2} {
		if strings.Contains(string(state), pw) {
			t.Fatal("a password is in rds.json")
		}
	}

	for _, id := range []string{"maria", "my8"} {
		dir, err := srv2.InstanceDataDir(id)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := client2.DeleteDBInstance(ctx, &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String(id), SkipFinalSnapshot: aws.Bool(true)}); err != nil {
			t.Fatal(err)
		}
		waitGoneRDS(t, client2, id)
		assertNoPath(t, dir)
	}
}
