package temporalconn

import (
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func parse(t *testing.T, env map[string]string, args ...string) (*Options, error) {
	t.Helper()
	var o Options
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	o.AddFlags(fs, func(k string) string { return env[k] })
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return &o, nil
}

func TestDefaultsAndEnv(t *testing.T) {
	o, _ := parse(t, nil)
	if o.Address != DefaultAddress || o.Namespace != DefaultNamespace {
		t.Errorf("defaults %+v", o)
	}
	o, _ = parse(t, map[string]string{"TEMPORAL_ADDRESS": "temporal:7233", "TEMPORAL_NAMESPACE": "prod", "TEMPORAL_API_KEY": "k"})
	if o.Address != "temporal:7233" || o.Namespace != "prod" || o.APIKey != "k" {
		t.Errorf("env %+v", o)
	}
	o, _ = parse(t, map[string]string{"TEMPORAL_ADDRESS": "temporal:7233"}, "--address", "flag:1")
	if o.Address != "flag:1" {
		t.Errorf("a flag must beat the environment: %s", o.Address)
	}
}

func TestTLSChoices(t *testing.T) {
	o, _ := parse(t, nil, "--api-key", "k")
	co, err := o.ClientOptions()
	if err != nil || co.Credentials == nil || co.ConnectionOptions.TLS != nil || co.ConnectionOptions.TLSDisabled {
		t.Errorf("api key alone: the SDK enables TLS itself: %+v %v", co.ConnectionOptions, err)
	}
	o, _ = parse(t, nil, "--api-key", "k", "--tls=false")
	if co, _ = o.ClientOptions(); !co.ConnectionOptions.TLSDisabled {
		t.Error("--tls=false must disable TLS even with an API key")
	}
	o, _ = parse(t, nil, "--tls-server-name", "temporal.example")
	if co, _ = o.ClientOptions(); co.ConnectionOptions.TLS == nil || co.ConnectionOptions.TLS.ServerName != "temporal.example" {
		t.Error("--tls-server-name implies TLS")
	}
	o, _ = parse(t, nil, "--tls-cert-path", "c.pem")
	if _, err := o.ClientOptions(); err == nil || !strings.Contains(err.Error(), "go together") {
		t.Errorf("cert without key: %v", err)
	}
	o, _ = parse(t, nil, "--tls-ca-path", "/does/not/exist")
	if _, err := o.ClientOptions(); err == nil || !strings.Contains(err.Error(), "cannot read the TLS CA") {
		t.Errorf("missing CA: %v", err)
	}
}
