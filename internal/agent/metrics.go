package agent

import (
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/credstage/credstage/client/secretcache"
)

// metrics are the agent's Prometheus series: the cache's counters and,
// per secret, the version it serves (names and version ids only, never a
// value).
type metrics struct {
	handler http.Handler
	mu      sync.Mutex
	current map[string]string // secret -> version of AWSCURRENT served
	version *prometheus.GaugeVec
}

func newMetrics(cache *secretcache.Cache) *metrics {
	reg := prometheus.NewRegistry()
	counter := func(name, help string, get func(secretcache.Stats) int64) {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "credstage_agent", Name: name, Help: help},
			func() float64 { return float64(get(cache.Stats())) }))
	}
	counter("hits_total", "Reads answered from the cache without a call.", func(s secretcache.Stats) int64 { return s.Hits })
	counter("misses_total", "GetSecretValue calls: first reads and versions that moved.", func(s secretcache.Stats) int64 { return s.Fetches })
	counter("refreshes_total", "DescribeSecret version checks.", func(s secretcache.Stats) int64 { return s.Describes })
	counter("stale_total", "Reads answered with the last good value because a check failed.", func(s secretcache.Stats) int64 { return s.Stale })
	m := &metrics{current: map[string]string{}, version: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "credstage_agent",
		Name: "secret_version", Help: "1 for the AWSCURRENT version of each secret the agent serves."}, []string{"secret", "version"})}
	reg.MustRegister(m.version)
	m.handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	return m
}

func (m *metrics) serve(w http.ResponseWriter, r *http.Request) { m.handler.ServeHTTP(w, r) }

// served records the AWSCURRENT version last served for a secret.
func (m *metrics) served(k secretcache.Key, v secretcache.Value) {
	if k.VersionID != "" || (k.VersionStage != "" && k.VersionStage != secretcache.StageCurrent) {
		return
	}
	secret := k.SecretID
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.current[secret]; ok && old != v.VersionID {
		m.version.DeleteLabelValues(secret, old)
	}
	m.current[secret] = v.VersionID
	m.version.WithLabelValues(secret, v.VersionID).Set(1)
}
