// Command localaws runs the local AWS emulator (RDS, Secrets Manager,
// CloudWatch, CloudTrail's event history) on 127.0.0.1:4566. Point any AWS SDK or CLI at it with
// AWS_ENDPOINT_URL=http://127.0.0.1:4566.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/credstage/credstage/localaws"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "localaws:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	flags := flag.NewFlagSet("localaws", flag.ContinueOnError)
	addr := flags.String("addr", "127.0.0.1:4566", "listen address")
	dataDir := flags.String("data-dir", defaultDataDir(), "folder for state and PostgreSQL clusters (survives restarts)")
	ephemeral := flags.Bool("ephemeral", false, "keep state in a temporary folder removed at shutdown")
	logLevel := flags.String("log-level", "info", "debug, info, warn or error")
	enforceIAM := flags.Bool("enforce-iam", false, "verify SigV4 signatures and evaluate IAM policies as AWS does (needs --iam-config)")
	iamConfig := flags.String("iam-config", "", "JSON file of principals, access keys and policies, for --enforce-iam")
	quotas := flags.String("quotas", "off", "aws: throttle calls over AWS's request rates per account and Region, as AWS does; off: never")
	quotaConfig := flags.String("quota-config", "", "YAML or JSON file of a scale and per-family rates, for --quotas aws")
	quotaScale := flags.Float64("quota-scale", 1, "multiply AWS's rates and bursts by this (0.1: a tenth), for --quotas aws; overrides the file's scale")
	accountID := flags.String("account-id", localaws.DefaultAccountID, "12-digit account id in every ARN (the account of every call unless --enforce-iam names principals of others)")
	trailEvents := flags.Int("trail-events", 10000, "how many CloudTrail events (one per AWS call) to keep in memory for LookupEvents")
	if err := flags.Parse(args); err != nil {
		return err
	}
	scaleSet := false
	flags.Visit(func(f *flag.Flag) { scaleSet = scaleSet || f.Name == "quota-scale" })

	if err := localaws.ValidateAccountID(*accountID); err != nil {
		return fmt.Errorf("--account-id: %w", err)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("--log-level %q: %w", *logLevel, err)
	}
	iam, err := loadIAM(*enforceIAM, *iamConfig)
	if err != nil {
		return err
	}
	quotaCfg, err := loadQuotas(*quotas, *quotaConfig, *quotaScale, scaleSet)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	srv, err := localaws.New(localaws.Options{Addr: *addr, DataDir: *dataDir, Ephemeral: *ephemeral, Logger: logger, IAM: iam, Quotas: quotaCfg, TrailEvents: *trailEvents, AccountID: *accountID})
	if err != nil {
		return err
	}
	if err := srv.Start(); err != nil {
		_ = srv.Close()
		return err
	}
	where := *dataDir
	if *ephemeral {
		where = "(ephemeral)"
	}
	logger.Info("localaws serving", "endpoint", srv.URL(), "dataDir", where, "accountID", *accountID, "enforceIAM", iam != nil, "quotas", *quotas)
	fmt.Printf("localaws listening on %s\n", srv.URL())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	logger.Info("localaws shutting down: stopping PostgreSQL clusters")
	return srv.Close()
}

// loadIAM reads the IAM config when enforcement is asked for. Each flag
// without the other is refused: a config that silently enforces nothing,
// or enforcement with no principal able to call, is never what was meant.
func loadIAM(enforce bool, path string) (*localaws.IAMConfig, error) {
	switch {
	case enforce && path == "":
		return nil, errors.New("--enforce-iam needs --iam-config FILE (the principals, their access keys and policies)")
	case !enforce && path != "":
		return nil, errors.New("--iam-config is only read with --enforce-iam")
	case !enforce:
		return nil, nil
	}
	return localaws.LoadIAMConfig(path)
}

// loadQuotas builds the quota config of --quotas aws. The file and the
// scale without quota mode are refused, as the IAM flags are: a limit
// that silently does not apply is never what was meant.
func loadQuotas(mode, path string, scale float64, scaleSet bool) (*localaws.QuotaConfig, error) {
	switch mode {
	case "aws":
	case "off":
		switch {
		case path != "":
			return nil, errors.New("--quota-config is only read with --quotas aws")
		case scaleSet:
			return nil, errors.New("--quota-scale is only read with --quotas aws")
		}
		return nil, nil
	default:
		return nil, fmt.Errorf("--quotas %q: want aws or off", mode)
	}
	cfg := &localaws.QuotaConfig{}
	if path != "" {
		var err error
		if cfg, err = localaws.LoadQuotaConfig(path); err != nil {
			return nil, err
		}
	}
	if scaleSet {
		// In a config 0 means "unscaled"; on the command line it is a mistake.
		if !(scale > 0) {
			return nil, fmt.Errorf("--quota-scale %v: must be a positive number", scale)
		}
		cfg.Scale = scale
	}
	return cfg, cfg.Validate()
}

func defaultDataDir() string {
	if dir, err := os.UserCacheDir(); err == nil {
		return filepath.Join(dir, "credstage", "localaws")
	}
	return filepath.Join(os.TempDir(), "credstage-localaws")
}
