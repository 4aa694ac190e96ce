// Package temporalconn holds the Temporal connection settings shared by the
// credstage CLI and the worker. Flags and environment variables carry the
// Temporal CLI's names, so a shell already set up for `temporal` works for
// credstage unchanged.
package temporalconn

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"

	"github.com/spf13/pflag"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/credstage/credstage/internal/codec"
)

// Defaults match the Temporal CLI and the dev server.
const (
	DefaultAddress   = "127.0.0.1:7233"
	DefaultNamespace = "default"
)

// Options is where and how to connect.
type Options struct {
	Address       string
	Namespace     string
	TLS           bool
	TLSCertPath   string
	TLSKeyPath    string
	TLSCAPath     string
	TLSServerName string
	APIKey        string

	// CodecKeyFile and CodecKeys (the keys themselves, from
	// $CREDSTAGE_CODEC_KEYS only, never a flag: arguments show in ps)
	// turn on payload encryption (internal/codec); both empty leaves
	// payloads as they are.
	CodecKeyFile string
	CodecKeys    string

	// flags tells --tls=false (force plaintext, even with an API key)
	// apart from the flag's absence.
	flags *pflag.FlagSet
}

// AddFlags registers the connection flags on fs with defaults taken from
// the environment through env (os.Getenv in production).
func (o *Options) AddFlags(fs *pflag.FlagSet, env func(string) string) {
	o.flags = fs
	or := func(name, def string) string {
		if v := env(name); v != "" {
			return v
		}
		return def
	}
	fs.StringVar(&o.Address, "address", or("TEMPORAL_ADDRESS", DefaultAddress), "Temporal frontend host:port [$TEMPORAL_ADDRESS]")
	fs.StringVarP(&o.Namespace, "namespace", "n", or("TEMPORAL_NAMESPACE", DefaultNamespace), "Temporal namespace [$TEMPORAL_NAMESPACE]")
	fs.BoolVar(&o.TLS, "tls", env("TEMPORAL_TLS") == "true", "connect with TLS (implied by the other --tls-* flags and --api-key) [$TEMPORAL_TLS]")
	fs.StringVar(&o.TLSCertPath, "tls-cert-path", env("TEMPORAL_TLS_CERT"), "client certificate for mTLS [$TEMPORAL_TLS_CERT]")
	fs.StringVar(&o.TLSKeyPath, "tls-key-path", env("TEMPORAL_TLS_KEY"), "client private key for mTLS [$TEMPORAL_TLS_KEY]")
	fs.StringVar(&o.TLSCAPath, "tls-ca-path", env("TEMPORAL_TLS_CA"), "CA certificate that signed the server's certificate [$TEMPORAL_TLS_CA]")
	fs.StringVar(&o.TLSServerName, "tls-server-name", env("TEMPORAL_TLS_SERVER_NAME"), "server name to verify in the server's certificate [$TEMPORAL_TLS_SERVER_NAME]")
	fs.StringVar(&o.APIKey, "api-key", env("TEMPORAL_API_KEY"), "API key sent as a bearer token (Temporal Cloud) [$TEMPORAL_API_KEY]")
	fs.StringVar(&o.CodecKeyFile, "codec-key-file", env(codec.EnvKeyFile), "encrypt every payload with AES-256-GCM using the keys in this file, one ID=BASE64KEY per line, the first encrypting; the keys may instead be given in $"+codec.EnvKeys+" [$"+codec.EnvKeyFile+"]")
	o.CodecKeys = env(codec.EnvKeys)
}

// PayloadCodec is the payload encryption the settings ask for, nil when
// none is configured.
func (o *Options) PayloadCodec() (*codec.Codec, error) {
	ring, err := codec.Load(o.CodecKeyFile, o.CodecKeys)
	if err != nil || ring == nil {
		return nil, err
	}
	return codec.New(ring), nil
}

// ClientOptions turns the settings into SDK client options; logger,
// metrics and the like are left for the caller.
func (o *Options) ClientOptions() (client.Options, error) {
	opts := client.Options{HostPort: o.Address, Namespace: o.Namespace}
	c, err := o.PayloadCodec()
	if err != nil {
		return opts, err
	}
	if c != nil {
		opts.DataConverter, opts.FailureConverter = c.DataConverter(), c.FailureConverter()
	} else {
		// Without keys, an encrypted run is refused with words that say
		// which setting is missing.
		opts.DataConverter = converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), codec.Guard{})
	}
	if o.APIKey != "" {
		opts.Credentials = client.NewAPIKeyStaticCredentials(o.APIKey)
	}
	explicitNoTLS := o.flags != nil && o.flags.Changed("tls") && !o.TLS
	wantTLS := o.TLS || o.TLSCertPath != "" || o.TLSKeyPath != "" || o.TLSCAPath != "" || o.TLSServerName != ""
	switch {
	case explicitNoTLS:
		opts.ConnectionOptions.TLSDisabled = true
	case wantTLS:
		cfg, err := o.tlsConfig()
		if err != nil {
			return opts, err
		}
		opts.ConnectionOptions.TLS = cfg
	}
	return opts, nil
}

func (o *Options) tlsConfig() (*tls.Config, error) {
	cfg := &tls.Config{ServerName: o.TLSServerName, MinVersion: tls.VersionTLS12}
	if (o.TLSCertPath == "") != (o.TLSKeyPath == "") {
		return nil, fmt.Errorf("--tls-cert-path and --tls-key-path go together: give both or neither")
	}
	if o.TLSCertPath != "" {
		cert, err := tls.LoadX509KeyPair(o.TLSCertPath, o.TLSKeyPath)
		if err != nil {
			return nil, fmt.Errorf("cannot load the TLS client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	if o.TLSCAPath != "" {
		pem, err := os.ReadFile(o.TLSCAPath)
		if err != nil {
			return nil, fmt.Errorf("cannot read the TLS CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("no PEM certificate found in %s", o.TLSCAPath)
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}
