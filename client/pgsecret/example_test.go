package pgsecret_test

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/credstage/credstage/client/pgsecret"
	"github.com/credstage/credstage/client/secretcache"
)

// Config joins what the secret holds (host, port, user, password,
// database) with what the application decides (TLS); the password is set
// on the configuration, never written into a connection string.
func ExampleConfig() {
	s := secretcache.Secret{Host: "orders.abc123.eu-west-1.rds.amazonaws.com", Port: 5432,
		Username: "app", Password: "from-secrets-manager", DBName: "orders"}
	// On RDS, add sslrootcert=<the RDS CA bundle file>; pgx reads it here.
	cfg, err := pgsecret.Config(s, pgsecret.Options{ConnString: "sslmode=verify-full"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg.User, cfg.Host, cfg.Port, cfg.Database, cfg.TLSConfig.ServerName)
	// Output: app orders.abc123.eu-west-1.rds.amazonaws.com 5432 orders orders.abc123.eu-west-1.rds.amazonaws.com
}

// A pgxpool for the application's lifetime: each new connection logs in
// with the secret's cached credentials, and a login a rotation refused is
// retried, so no query fails for it. Pool settings go in the connection
// string or the configure function. (Not run: it needs Secrets Manager and
// a database.)
func ExampleNewPool() {
	ctx := context.Background()
	// In a program: secretsmanager.NewFromConfig(cfg), with cfg from
	// github.com/aws/aws-sdk-go-v2/config's LoadDefaultConfig.
	sm := secretsmanager.New(secretsmanager.Options{Region: "eu-west-1"})
	cache := secretcache.New(sm, secretcache.Options{}) // one per process
	pool, err := pgsecret.NewPool(ctx, cache, "production/orders-production/app", pgsecret.Options{
		ConnString: "sslmode=verify-full sslrootcert=/etc/credstage/rds-global-bundle.pem pool_max_conns=10",
	}, func(c *pgxpool.Config) { c.MaxConnIdleTime = 5 * time.Minute })
	if err != nil {
		fmt.Println(err)
		return
	}
	defer pool.Close()
	var orders int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM orders").Scan(&orders); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(orders)
}
