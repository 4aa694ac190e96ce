package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// agentAccessKey signs the agent's AWS calls.
const agentAccessKey = "credstage-agent"

// agentProc is `credstage agent` (built from ./starter) as its own
// process, as it runs beside an application.
type agentProc struct {
	cmd   *exec.Cmd
	done  chan error
	log   *os.File
	url   string
	token string
	http  *http.Client
}

// startAgent runs the agent over localaws with the given check interval.
func startAgent(s *benchStack, cliBin string, check time.Duration) (*agentProc, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	logf, err := os.OpenFile(filepath.Join(s.dir, "agent.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	a := &agentProc{done: make(chan error, 1), log: logf, url: "http://127.0.0.1:" + strconv.Itoa(port), token: randomPassword(),
		// Keep-alive connections, as an application's HTTP client keeps them.
		http: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 70 * time.Second}}
	a.cmd = exec.Command(cliBin, "agent", "--port", strconv.Itoa(port), "--check-interval", check.String())
	a.cmd.Env = append(os.Environ(),
		"AWS_TOKEN="+a.token,
		"AWS_ENDPOINT_URL="+s.aws.URL,
		"AWS_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID="+agentAccessKey,
		"AWS_SECRET_ACCESS_KEY="+agentAccessKey+"-secret",
	)
	a.cmd.Stdout, a.cmd.Stderr = logf, logf
	if err := a.cmd.Start(); err != nil {
		_ = logf.Close()
		return nil, fmt.Errorf("start the agent: %w", err)
	}
	go func() { a.done <- a.cmd.Wait() }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := a.http.Get(a.url + "/ping")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return a, nil
			}
		}
		select {
		case err := <-a.done:
			a.done <- err
			a.stop()
			return nil, fmt.Errorf("the agent exited before answering (%v); see %s", err, logf.Name())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			a.stop()
			return nil, fmt.Errorf("the agent did not answer /ping within 30 s; see %s", logf.Name())
		}
	}
}

// freePort is a port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// stop ends the agent by its process id, gracefully first.
func (a *agentProc) stop() {
	if a.cmd.Process != nil {
		_ = a.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-a.done:
			a.done <- err
		case <-time.After(10 * time.Second):
			_ = a.cmd.Process.Kill()
			<-a.done
		}
	}
	a.http.CloseIdleConnections()
	_ = a.log.Close()
}

// agentValue is the part of the agent's answer (GetSecretValue's JSON)
// an application reads.
type agentValue struct {
	VersionID    string `json:"VersionId"`
	SecretString string `json:"SecretString"`
}

// get is one GET /secretsmanager/get.
func (a *agentProc) get(ctx context.Context, secret string, refresh bool) (agentValue, error) {
	q := url.Values{"secretId": {secret}}
	if refresh {
		q.Set("refreshNow", "true")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.url+"/secretsmanager/get?"+q.Encode(), nil)
	if err != nil {
		return agentValue{}, err
	}
	req.Header.Set("X-Aws-Parameters-Secrets-Token", a.token)
	resp, err := a.http.Do(req)
	if err != nil {
		return agentValue{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return agentValue{}, err
	}
	if resp.StatusCode != http.StatusOK {
		// An error answer is AWS's error JSON: no secret in it.
		return agentValue{}, fmt.Errorf("agent: %s for %s: %s", resp.Status, secret, body)
	}
	var v agentValue
	if err := json.Unmarshal(body, &v); err != nil {
		return agentValue{}, fmt.Errorf("agent: the answer for %s is not JSON", secret)
	}
	return v, nil
}

// agentSource is the hand-written application's source through the
// agent: the agent is the cache, so every connection asks it, and a
// refresh asks it with refreshNow.
type agentSource struct{ a *agentProc }

func (s agentSource) read(ctx context.Context, secret string, refresh bool) (appSecret, error) {
	v, err := s.a.get(ctx, secret, refresh)
	if err != nil {
		return appSecret{}, err
	}
	return parseAppSecret(secret, v.SecretString, v.VersionID)
}

// agentApp is B4's application through the agent, in another language's
// way: the hand-written pattern, its reads served by the agent.
type agentApp struct {
	*application
	agent *agentProc
	s     *benchStack
	prop  propagationOptions
}

func (a *agentApp) start(ctx context.Context) (func() appCounts, error) {
	if err := warm(ctx, a.secrets, a.prop.checkInterval, func(ctx context.Context, id string) error {
		_, err := a.agent.get(ctx, id, false)
		return err
	}); err != nil {
		return nil, err
	}
	since := time.Now()
	p, err := startPropagation(ctx, a.prop, a.secrets, func(ctx context.Context, id string) (string, error) {
		v, err := a.agent.get(ctx, id, false)
		return v.VersionID, err
	})
	if err != nil {
		return nil, err
	}
	stop, err := a.application.start(ctx)
	if err != nil {
		p.cancel()
		return nil, err
	}
	return func() appCounts {
		reads := p.wait()
		c := stop()
		calls := a.s.awsCallsSince(agentAccessKey, since)
		reads.GetSecretValue = int64(calls["secretsmanager:GetSecretValue"])
		reads.Describes = int64(calls["secretsmanager:DescribeSecret"])
		c.Reads = &reads
		return c
	}, nil
}

// readLatency is B8's figure for one way of reading a secret.
type readLatency struct {
	Reads      int     `json:"reads"`
	Goroutines int     `json:"goroutines"`
	P50MS      float64 `json:"sequential_p50_ms"`
	P99MS      float64 `json:"sequential_p99_ms"`
	ReadsPerS  float64 `json:"concurrent_reads_per_s"`
}

// readBench times reads of one secret: n in a row (latency), then n on
// g goroutines (throughput), after a few unmeasured ones that open the
// connections and fill the cache.
func readBench(ctx context.Context, n, g int, read func(context.Context) error) (readLatency, error) {
	for range 20 {
		if err := read(ctx); err != nil {
			return readLatency{}, err
		}
	}
	ds := make([]time.Duration, 0, n)
	for range n {
		t0 := time.Now()
		if err := read(ctx); err != nil {
			return readLatency{}, err
		}
		ds = append(ds, time.Since(t0))
	}
	start := time.Now()
	err := parallelDo(ctx, n, g, func(ctx context.Context, _ int) error { return read(ctx) })
	wall := time.Since(start)
	return readLatency{Reads: n, Goroutines: g, P50MS: percentile(ds, 50), P99MS: percentile(ds, 99),
		ReadsPerS: round(float64(n) / wall.Seconds())}, err
}

// agentLatency is B8: a cached read through the agent, and beside it a
// GetSecretValue straight to localaws, of the same secret.
func agentLatency(ctx context.Context, a *agentProc, sm *secretsmanager.Client, secret string, n, g int) (agent, direct readLatency, err error) {
	agent, err = readBench(ctx, n, g, func(ctx context.Context) error {
		v, err := a.get(ctx, secret, false)
		if err == nil && v.SecretString == "" {
			err = errors.New("agent: empty SecretString")
		}
		return err
	})
	if err != nil {
		return agent, direct, fmt.Errorf("reads through the agent: %w", err)
	}
	direct, err = readBench(ctx, n, g, func(ctx context.Context) error {
		_, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(secret)})
		return err
	})
	if err != nil {
		return agent, direct, fmt.Errorf("GetSecretValue: %w", err)
	}
	return agent, direct, nil
}
