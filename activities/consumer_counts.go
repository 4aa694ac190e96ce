package activities

import (
	"context"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// ConsumerTarget is one promoted secret whose consumers a bake watches.
type ConsumerTarget struct {
	SecretID string   `json:"secretId"`
	Strategy Strategy `json:"strategy"`
}

// CountConsumersInput lists a stage's promoted secrets.
type CountConsumersInput struct {
	Targets []ConsumerTarget `json:"targets"`
}

// ConsumerCounts is one sample of how a stage's consumers moved over:
// sessions on the credentials now in AWSCURRENT and on the ones before.
// Alternating users: the sessions of the current role and of the other
// role of the pair. Single user: the role's sessions opened since the
// current version was created, and those opened before it (they logged
// in with the old password and keep working until they reconnect).
type ConsumerCounts struct {
	Secrets    int `json:"secrets"`
	OnCurrent  int `json:"onCurrent"`
	OnPrevious int `json:"onPrevious"`
	// Uncounted is how many secrets could not be read (their database was
	// unreachable, or the secret moved on): a sample is best effort.
	Uncounted int `json:"uncounted,omitempty"`
}

// consumerCountParallel bounds the secrets counted at once.
const consumerCountParallel = 8

// CountConsumers samples the sessions of each target's roles through its
// instance's pooled master connection. It only reads (GetSecretValue of
// AWSCURRENT, pg_stat_activity), so a crash, a lost reply or a retry is
// harmless; a secret whose count fails is Uncounted rather than an error,
// because a sample must never stop a bake.
func (a *Activities) CountConsumers(ctx context.Context, in CountConsumersInput) (ConsumerCounts, error) {
	var (
		mu  sync.Mutex
		out ConsumerCounts
		wg  sync.WaitGroup
	)
	sem := make(chan struct{}, consumerCountParallel)
	for _, t := range in.Targets {
		if t.Strategy == StrategyManagedMaster {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			onCurrent, onPrevious, err := a.countConsumers(ctx, t)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				out.Uncounted++
				logger(ctx).Warn("consumer count: skipped", "secret", t.SecretID, "error", errMessage(err))
				return
			}
			out.Secrets++
			out.OnCurrent += onCurrent
			out.OnPrevious += onPrevious
		}()
	}
	wg.Wait()
	return out, ctx.Err()
}

func (a *Activities) countConsumers(ctx context.Context, t ConsumerTarget) (onCurrent, onPrevious int, err error) {
	got, err := a.sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(t.SecretID), VersionStage: aws.String(stageCurrent)})
	if err != nil {
		return 0, 0, awsError(ctx, secretSubject(t.SecretID), "GetSecretValue", err)
	}
	if got.SecretString == nil {
		return 0, 0, malformed(t.SecretID, "the version holds no SecretString")
	}
	cur, err := parseAppSecret(t.SecretID, *got.SecretString)
	if err != nil {
		return 0, 0, err
	}
	m, err := a.masterFor(ctx, t.SecretID, cur)
	if err != nil {
		return 0, 0, err
	}
	if m == nil {
		return 0, 0, invalidInput("secret %s: no master to read its sessions with", t.SecretID)
	}
	created := aws.ToTime(got.CreatedDate)
	err = a.withMaster(ctx, t.SecretID, m, func(q Querier) error {
		fail := func(err error) error {
			return dbError(ctx, secretSubject(t.SecretID), cur.target(), appLogin, err, cur.Password)
		}
		if t.Strategy == StrategyAlternatingUsers {
			if onCurrent, err = countSessions(ctx, q, cur.Username, zeroTime); err != nil {
				return fail(err)
			}
			onPrevious, err = countSessions(ctx, q, alternateUser(cur.Username), zeroTime)
			return fail(err)
		}
		all, err := countSessions(ctx, q, cur.Username, zeroTime)
		if err != nil {
			return fail(err)
		}
		if onCurrent, err = countSessions(ctx, q, cur.Username, created); err != nil {
			return fail(err)
		}
		onPrevious = all - onCurrent
		return nil
	})
	return onCurrent, onPrevious, err
}
