package cli

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/spf13/cobra"

	"github.com/credstage/credstage/client/secretcache"
	"github.com/credstage/credstage/internal/agent"
	"github.com/credstage/credstage/internal/awsconfig"
)

func newAgentCmd(a *app) *cobra.Command {
	var port, cacheSize, maxConns int
	var check time.Duration
	cmd := &cobra.Command{
		Use:   "agent",
		Short: "Serve secrets to local applications (the AWS Secrets Manager Agent's API)",
		Long: `Serve secrets to applications on this host over HTTP, with the API of the
AWS Secrets Manager Agent, so applications written for it work unchanged:
GET /secretsmanager/get?secretId=ID (versionId, versionStage, refreshNow),
GET /v1/ID, GET /ping, and GET /metrics (Prometheus). The answer is
GetSecretValue's JSON.

Every request but /ping must carry the SSRF token in the
X-Aws-Parameters-Secrets-Token (or X-Vault-Token) header. The token is
read from AWS_TOKEN, AWS_SESSION_TOKEN or AWS_CONTAINER_AUTHORIZATION_TOKEN,
the first one set; a value file://PATH names a file holding it. Requests
with X-Forwarded-For are refused. The agent listens on 127.0.0.1 only.

Unlike the AWS agent, which serves a value for 300 s whatever happens to
it, the agent checks each cached secret's version every --check-interval
(DescribeSecret) and fetches a new one when it moved, so a rotation is
served within the interval. When Secrets Manager cannot be reached it
serves the last good value. Runs until interrupted.`,
		Example: `  AWS_TOKEN=file:///run/credstage/agent-token credstage agent
  curl -H "X-Aws-Parameters-Secrets-Token: $(cat /run/credstage/agent-token)" \
    'http://127.0.0.1:2773/secretsmanager/get?secretId=production/orders-production/app'`,
		Args: maxArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			token, err := agent.LoadToken(a.env)
			if err != nil {
				return withCode(ExitBadInput, err)
			}
			cfg, err := awsconfig.Load(cmd.Context(), a.env)
			if err != nil {
				return withCode(ExitUnreachable, err)
			}
			cache := secretcache.New(secretsmanager.NewFromConfig(cfg), secretcache.Options{CheckInterval: check, MaxSecrets: cacheSize})
			log := slog.New(slog.NewTextHandler(a.stderr, nil))
			srv, err := agent.New(cache, token, maxConns, log)
			if err != nil {
				return withCode(ExitBadInput, err)
			}
			ln, err := agent.Listen(cmd.Context(), port)
			if err != nil {
				return withCode(ExitBadInput, err)
			}
			fmt.Fprintf(a.stdout, "credstage agent listening on http://%s (checks every %v)\n", ln.Addr(), check)
			return srv.Serve(cmd.Context(), ln)
		},
	}
	f := cmd.Flags()
	f.IntVar(&port, "port", agent.DefaultPort, "port on 127.0.0.1")
	f.DurationVar(&check, "check-interval", secretcache.DefaultCheckInterval, "how often a cached secret's version is checked")
	f.IntVar(&cacheSize, "cache-size", 1000, "secrets kept at most (the least recently read is dropped)")
	f.IntVar(&maxConns, "max-conns", agent.DefaultMaxConns, "requests served at once")
	return cmd
}
