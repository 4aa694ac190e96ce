package bench

import (
	"context"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/credstage/credstage/client/secretcache"
)

// propagationPoll is B7's sampling period, per secret: a DescribeSecret
// as the harness's admin (to time the promote) and a read through the
// application's cache or the agent (to time when the new version is
// served).
const propagationPoll = 100 * time.Millisecond

// readCounts are B7's figures of one run: how soon each new version
// reached the application, and what its reads cost Secrets Manager.
type readCounts struct {
	// Rotations are the application's secrets whose AWSCURRENT moved.
	Rotations int `json:"rotations"`
	// PropagationMS is, per rotation, the time from the promote to the
	// first read that returned the new version.
	PropagationMS []float64 `json:"propagation_ms"`
	// Unserved rotations were not read within the check interval + 5 s
	// of the run's end.
	Unserved int `json:"unserved"`
	// GetSecretValue counts the application's (or the agent's) calls
	// during the run, AWSPENDING reads included; Describes its checks.
	GetSecretValue int64 `json:"get_secret_value"`
	PendingReads   int64 `json:"pending_reads"`
	Describes      int64 `json:"describes"`
}

type propagationOptions struct {
	admin         *secretsmanager.Client
	checkInterval time.Duration
}

// propagation times, for each of an application's secrets, its promote
// and the first read through the application that returns the new
// version. The promote is taken at the send of the last DescribeSecret
// that still showed the old version, the earliest it can have been, so a
// figure overstates the delay by up to one poll and one call.
type propagation struct {
	opts    propagationOptions
	read    func(ctx context.Context, id string) (versionID string, err error)
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	mu      sync.Mutex
	ids     []string
	secrets map[string]*propSecret
}

type propSecret struct {
	initial              string
	promoted, served     string
	promotedAt, servedAt time.Time
}

func startPropagation(ctx context.Context, opts propagationOptions, ids []string, read func(context.Context, string) (string, error)) (*propagation, error) {
	ctx, cancel := context.WithCancel(ctx)
	p := &propagation{opts: opts, read: read, cancel: cancel, ids: ids, secrets: map[string]*propSecret{}}
	for _, id := range ids {
		sent := time.Now()
		out, err := opts.admin.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(id)})
		if err != nil {
			cancel()
			return nil, err
		}
		st := &propSecret{initial: currentVersion(out)}
		p.secrets[id] = st
		p.wg.Add(2)
		go p.watch(ctx, id, st, sent)
		go p.probe(ctx, id, st)
	}
	return p, nil
}

// watch polls the secret as admin until AWSCURRENT moves.
func (p *propagation) watch(ctx context.Context, id string, st *propSecret, lastOld time.Time) {
	defer p.wg.Done()
	for pause(ctx, propagationPoll) {
		sent := time.Now()
		out, err := p.opts.admin.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(id)})
		if err != nil {
			continue // lastOld stays: the promote may be earlier still
		}
		if v := currentVersion(out); v != st.initial {
			p.mu.Lock()
			st.promoted, st.promotedAt = v, lastOld
			p.mu.Unlock()
			return
		}
		lastOld = sent
	}
}

// probe reads through the application until it serves another version.
func (p *propagation) probe(ctx context.Context, id string, st *propSecret) {
	defer p.wg.Done()
	for pause(ctx, propagationPoll) {
		v, err := p.read(ctx, id)
		at := time.Now()
		if err == nil && v != st.initial {
			p.mu.Lock()
			st.served, st.servedAt = v, at
			p.mu.Unlock()
			return
		}
	}
}

// wait lets the probes see the last promotes of a finished run (for up
// to the check interval and 5 s), stops them and returns the figures.
func (p *propagation) wait() readCounts {
	deadline := time.Now().Add(p.opts.checkInterval + 5*time.Second)
	for time.Now().Before(deadline) && !p.done() {
		time.Sleep(50 * time.Millisecond)
	}
	p.cancel()
	p.wg.Wait()
	r := readCounts{PropagationMS: []float64{}}
	for _, id := range p.ids {
		st := p.secrets[id]
		if st.promoted == "" {
			continue
		}
		r.Rotations++
		if st.served != st.promoted {
			r.Unserved++
			continue
		}
		r.PropagationMS = append(r.PropagationMS, ms(st.servedAt.Sub(st.promotedAt)))
	}
	return r
}

func (p *propagation) done() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, st := range p.secrets {
		if st.promoted == "" || st.served == "" {
			return false
		}
	}
	return true
}

// warm reads each secret once before a run, spread over one check
// interval: secrets loaded in the same millisecond would be checked in
// step, so their delays would be one draw, not one per secret as across a
// fleet of applications started at different times.
func warm(ctx context.Context, ids []string, interval time.Duration, read func(context.Context, string) error) error {
	for i, id := range ids {
		if i > 0 && !pause(ctx, interval/time.Duration(len(ids))) {
			return ctx.Err()
		}
		if err := read(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

// pause waits d, false when ctx ended first.
func pause(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

func currentVersion(out *secretsmanager.DescribeSecretOutput) string {
	for id, stages := range out.VersionIdsToStages {
		for _, s := range stages {
			if s == secretcache.StageCurrent {
				return id
			}
		}
	}
	return ""
}
