package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/jackc/pgx/v5"
	"golang.org/x/time/rate"

	"github.com/credstage/credstage/activities"
)

func staticCreds(key string) aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider(key, key+"-secret", "")
}

// instance is one RDS instance of the fleet and a master session kept
// open for setup and for reading pg_stat_database.
type instance struct {
	id        string
	host      string
	port      int
	masterARN string
	master    *pgx.Conn
}

// fleet is the benchmark's instances and secrets. Pools are lists of
// secret names by purpose; secret i of a pool lives on instance i mod n.
type fleet struct {
	instances []*instance
	pools     map[string][]string
	strategy  map[string]activities.Strategy // pool -> strategy
}

const (
	poolAlt    = "alt"
	poolSingle = "single"
	poolB1     = "b1"
	poolB5     = "b5"
	// poolQuota is B9's fleet, on a stack of its own (quota_test.go).
	poolQuota = "quota"
)

const dbName = "bench"

// setupFleet provisions the instances and creates every role and secret
// of the pools sized in sizes quickly: roles through the master session
// in one transaction per instance, secrets with CreateSecret (in quota
// mode below CreateSecret's quota). None of this is measured.
func setupFleet(ctx context.Context, s *benchStack, c config, sizes map[string]int) (*fleet, error) {
	f := &fleet{pools: map[string][]string{}, strategy: map[string]activities.Strategy{
		poolAlt: activities.StrategyAlternatingUsers, poolSingle: activities.StrategySingleUser,
		poolB1: activities.StrategyAlternatingUsers, poolB5: activities.StrategySingleUser,
		poolQuota: activities.StrategyAlternatingUsers,
	}}
	cfg, err := awsConfig(s)
	if err != nil {
		return nil, err
	}
	rc := rds.NewFromConfig(cfg)
	for i := range c.Instances {
		id := fmt.Sprintf("bench-db-%d", i+1)
		if _, err := rc.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{
			DBInstanceIdentifier: aws.String(id), Engine: aws.String("postgres"),
			DBInstanceClass: aws.String("db.t4g.micro"), AllocatedStorage: aws.Int32(20),
			DBName: aws.String(dbName), MasterUsername: aws.String("postgres"),
			ManageMasterUserPassword: aws.Bool(true),
		}); err != nil {
			return nil, fmt.Errorf("create instance %s: %w", id, err)
		}
		f.instances = append(f.instances, &instance{id: id})
	}
	for _, in := range f.instances {
		if err := waitAvailable(ctx, rc, in); err != nil {
			return nil, err
		}
		if err := in.connectMaster(ctx, s.sm, s.aws.Server.RDSCABundlePath()); err != nil {
			return nil, err
		}
		if dir, err := s.aws.Server.InstanceDataDir(in.id); err == nil {
			s.clusterDirs = append(s.clusterDirs, dir)
		}
	}

	type role struct {
		name, password, secret string
		clone                  bool
	}
	perInstance := make([][]role, len(f.instances))
	var secrets []struct {
		name string
		r    role
		in   *instance
	}
	for _, pool := range []string{poolAlt, poolSingle, poolB1, poolB5, poolQuota} {
		for i := range sizes[pool] {
			name := fmt.Sprintf("bench/%s/%05d", pool, i)
			r := role{name: fmt.Sprintf("b_%s_%05d", pool, i), password: randomPassword(), secret: name,
				clone: f.strategy[pool] == activities.StrategyAlternatingUsers}
			k := i % len(f.instances)
			perInstance[k] = append(perInstance[k], r)
			f.pools[pool] = append(f.pools[pool], name)
			secrets = append(secrets, struct {
				name string
				r    role
				in   *instance
			}{name, r, f.instances[k]})
		}
	}
	err = parallelDo(ctx, len(f.instances), len(f.instances), func(ctx context.Context, k int) error {
		in := f.instances[k]
		tx, err := in.master.Begin(ctx)
		if err != nil {
			return err
		}
		defer func() { _ = tx.Rollback(ctx) }()
		for _, r := range perInstance[k] {
			stmts := []string{fmt.Sprintf(`CREATE ROLE %q LOGIN PASSWORD '%s'`, r.name, r.password)}
			if r.clone {
				// The clone of an alternating pair exists from the start,
				// so every rotation does the same ALTER ROLE.
				stmts = append(stmts, fmt.Sprintf(`CREATE ROLE %q LOGIN IN ROLE %q`, r.name+"_clone", r.name))
			}
			for _, st := range stmts {
				if _, err := tx.Exec(ctx, st); err != nil {
					return fmt.Errorf("instance %s: %s: %w", in.id, strings.SplitN(st, " PASSWORD", 2)[0], err)
				}
			}
		}
		return tx.Commit(ctx)
	})
	if err != nil {
		return nil, err
	}
	// Quota mode charges the harness's calls to the same account as the
	// worker's: create below CreateSecret's 50 a second.
	create := rate.NewLimiter(rate.Inf, 0)
	if s.quotas != nil {
		create = rate.NewLimiter(40, 1)
	}
	err = parallelDo(ctx, len(secrets), 16, func(ctx context.Context, i int) error {
		sec := secrets[i]
		if err := create.Wait(ctx); err != nil {
			return err
		}
		value, _ := json.Marshal(map[string]any{
			"engine": "postgres", "host": sec.in.host, "port": sec.in.port, "dbname": dbName,
			"username": sec.r.name, "password": sec.r.password, "masterarn": sec.in.masterARN,
		})
		_, err := s.sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
			Name: aws.String(sec.name), SecretString: aws.String(string(value))})
		return err
	})
	return f, err
}

func waitAvailable(ctx context.Context, rc *rds.Client, in *instance) error {
	deadline := time.Now().Add(3 * time.Minute)
	for {
		out, err := rc.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(in.id)})
		if err != nil {
			return err
		}
		db := out.DBInstances[0]
		if aws.ToString(db.DBInstanceStatus) == "available" && db.Endpoint != nil {
			in.host, in.port = aws.ToString(db.Endpoint.Address), int(aws.ToInt32(db.Endpoint.Port))
			in.masterARN = aws.ToString(db.MasterUserSecret.SecretArn)
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("instance %s not available after 3 minutes (status %s)", in.id, aws.ToString(db.DBInstanceStatus))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (in *instance) connectMaster(ctx context.Context, sm *secretsmanager.Client, caBundle string) error {
	out, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(in.masterARN)})
	if err != nil {
		return err
	}
	var m struct{ Username, Password string }
	if err := json.Unmarshal([]byte(aws.ToString(out.SecretString)), &m); err != nil {
		return err
	}
	cfg, err := pgx.ParseConfig(fmt.Sprintf("host=%s port=%d dbname=%s sslmode=verify-full sslrootcert=%s require_auth=scram-sha-256", in.host, in.port, dbName, caBundle))
	if err != nil {
		return err
	}
	cfg.User, cfg.Password = m.Username, m.Password
	in.master, err = pgx.ConnectConfig(ctx, cfg)
	return err
}

// sessions is how many sessions the instance has seen (pg_stat_database):
// the difference over a run is the number of fresh logins.
func (in *instance) sessions(ctx context.Context) (int64, error) {
	var n int64
	err := in.master.QueryRow(ctx, `SELECT coalesce(sum(sessions), 0)::bigint FROM pg_stat_database`).Scan(&n)
	return n, err
}

// totalSessions sums every instance's sessions, after giving the
// backends of just-closed connections time to flush their statistics.
func (f *fleet) totalSessions(ctx context.Context, wait time.Duration) (int64, error) {
	time.Sleep(wait)
	var total int64
	for _, in := range f.instances {
		n, err := in.sessions(ctx)
		if err != nil {
			return 0, err
		}
		total += n
	}
	return total, nil
}

func (f *fleet) close(ctx context.Context) {
	for _, in := range f.instances {
		if in.master != nil {
			_ = in.master.Close(ctx)
		}
	}
}

// randomPassword is a setup password (the roles' first; credstage's own
// always come from GetRandomPassword).
func randomPassword() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
