package pgsecret_test

import (
	"fmt"

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
