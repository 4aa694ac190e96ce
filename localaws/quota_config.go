package localaws

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// QuotaConfig turns on quota mode (Options.Quotas): AWS's request rates
// (quota_table.go), enforced per account and Region, answered with each
// service's throttling error. The zero value is AWS's table as published.
// The file form, read by LoadQuotaConfig (YAML or JSON):
//
//	scale: 0.1                      # every rate and burst of the table × 0.1
//	families:                       # these families exactly as written
//	  secretsmanager:writes: {rate: 2, burst: 4}
//	  rds:api: {rate: 1}            # burst: one second of rate
type QuotaConfig struct {
	// Scale multiplies the table's rates and bursts, so a test can reach a
	// quota with a few calls; 0 means 1. A bucket never holds less than
	// one call.
	Scale float64 `json:"scale,omitempty" yaml:"scale,omitempty"`
	// Families replaces the limits of the families it names (see
	// AWSQuotas for the names), unscaled.
	Families map[string]QuotaLimit `json:"families,omitempty" yaml:"families,omitempty"`
}

// QuotaLimit is one family's bucket.
type QuotaLimit struct {
	// Rate is the calls per second the bucket refills at; it must be
	// positive.
	Rate float64 `json:"rate" yaml:"rate"`
	// Burst is how many calls the bucket holds; 0 means one second of
	// Rate. At least 1 when given.
	Burst float64 `json:"burst,omitempty" yaml:"burst,omitempty"`
}

// LoadQuotaConfig reads a quota config file, YAML or JSON. Unknown or
// repeated keys and unknown family names are errors, as in the IAM config:
// a limit that silently does not apply is never what was meant.
func LoadQuotaConfig(path string) (*QuotaConfig, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("localaws: quota config: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var cfg QuotaConfig
	if err := dec.Decode(&cfg); err != nil {
		if len(bytes.TrimSpace(data)) == 0 {
			err = errors.New("the file is empty")
		}
		return nil, fmt.Errorf("localaws: quota config %s: %w", path, err)
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("localaws: quota config %s: %w", path, err)
	}
	return &cfg, nil
}

// Validate checks a config built in Go the way LoadQuotaConfig checks a
// file.
func (c *QuotaConfig) Validate() error {
	_, err := c.Table()
	return err
}

// Table is what the config enforces: AWS's table, scaled, with the
// overrides applied.
func (c *QuotaConfig) Table() ([]QuotaFamily, error) {
	if c == nil {
		return nil, errors.New("no quota config")
	}
	scale := c.Scale
	if scale == 0 {
		scale = 1
	}
	if !(scale > 0) || math.IsInf(scale, 0) {
		return nil, fmt.Errorf("scale %v: must be a positive number", c.Scale)
	}
	table := AWSQuotas()
	names := make([]string, len(table))
	for i := range table {
		f := &table[i]
		names[i] = f.Name
		f.Rate *= scale
		f.Burst = max(1, f.Burst*scale)
	}
	overridden := make([]string, 0, len(c.Families))
	for name := range c.Families {
		overridden = append(overridden, name)
	}
	sort.Strings(overridden)
	for _, name := range overridden {
		limit := c.Families[name]
		i := slices.Index(names, name)
		if i < 0 {
			return nil, fmt.Errorf("families: unknown family %q (known: %s)", name, strings.Join(names, ", "))
		}
		if !(limit.Rate > 0) || math.IsInf(limit.Rate, 0) {
			return nil, fmt.Errorf("families: %s: rate %v must be a positive number", name, limit.Rate)
		}
		switch {
		case limit.Burst == 0:
			limit.Burst = max(1, limit.Rate)
		case !(limit.Burst >= 1) || math.IsInf(limit.Burst, 0):
			return nil, fmt.Errorf("families: %s: burst %v must be at least 1 (a bucket holds whole calls)", name, limit.Burst)
		}
		table[i].Rate, table[i].Burst = limit.Rate, limit.Burst
	}
	return table, nil
}
