package inventory

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/smithy-go"
	"golang.org/x/time/rate"
)

// SecretsAPI lists the Secrets Manager calls of the inventory: metadata
// only, no GetSecretValue, so neither the worker's inventory nor `credstage
// report` can read a value.
type SecretsAPI interface {
	ListSecrets(ctx context.Context, in *secretsmanager.ListSecretsInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.ListSecretsOutput, error)
	DescribeSecret(ctx context.Context, in *secretsmanager.DescribeSecretInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error)
	ListSecretVersionIds(ctx context.Context, in *secretsmanager.ListSecretVersionIdsInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.ListSecretVersionIdsOutput, error)
}

var _ SecretsAPI = (*secretsmanager.Client)(nil)

// Rates are the calls a second a Source allows itself. The defaults are
// half of AWS's quotas (localaws/quota_table.go: ListSecrets 100/s,
// ListSecretVersionIds 50/s), leaving the rest to whoever else lists in
// the account; 10,000 secrets then take about 7 minutes, well inside an
// hourly schedule. DescribeSecret (40,000/s at AWS) is only spent on
// secrets that plans name without the credstage:managed tag.
type Rates struct {
	ListSecrets          float64
	ListSecretVersionIds float64
	DescribeSecret       float64
}

// DefaultRates: see Rates.
var DefaultRates = Rates{ListSecrets: 50, ListSecretVersionIds: 25, DescribeSecret: 100}

// PageSize is how many secrets one Page covers: ListSecrets's largest
// page. A page is the unit of retry, so a lost reply or a dead worker
// costs at most this many reads again.
const PageSize = 100

// indexTTL is how long a Source reuses the schedules' index: the pages of
// one inventory run follow each other within seconds, and a schedule
// changed meanwhile shows in the next run.
const indexTTL = 5 * time.Minute

// Source lists the managed secrets page by page. One Source serves every
// page of a worker (or a `credstage report`), so its rate limits hold for
// all of them together; it is safe for concurrent use.
type Source struct {
	sm    SecretsAPI
	plans PlanSource

	list, versions, describe *rate.Limiter

	mu      sync.Mutex
	index   Index
	indexAt time.Time
}

// NewSource builds a Source; plans may be nil (no schedules), zero rates
// take DefaultRates'.
func NewSource(sm SecretsAPI, plans PlanSource, r Rates) *Source {
	limiter := func(v, def float64) *rate.Limiter {
		if v <= 0 {
			v = def
		}
		return rate.NewLimiter(rate.Limit(v), max(1, int(v/10)))
	}
	return &Source{sm: sm, plans: plans,
		list:     limiter(r.ListSecrets, DefaultRates.ListSecrets),
		versions: limiter(r.ListSecretVersionIds, DefaultRates.ListSecretVersionIds),
		describe: limiter(r.DescribeSecret, DefaultRates.DescribeSecret)}
}

// Cursor says where a listing stands. The zero Cursor is the start: first
// the secrets tagged credstage:managed=true (Token is ListSecrets's
// NextToken), then those the schedules' plans name without that tag
// (Token is the last id done, so a schedule changed between pages moves
// nothing already counted).
type Cursor struct {
	Phase string `json:"phase,omitempty"`
	Token string `json:"token,omitempty"`
}

const (
	phaseManaged = ""
	phasePlanned = "planned"
	phaseDone    = "done"
)

// Done says the listing is complete.
func (c Cursor) Done() bool { return c.Phase == phaseDone }

// Page is one page of rows and where the next one starts.
type Page struct {
	Rows []Row  `json:"rows"`
	Next Cursor `json:"next"`
}

// Page lists the page at cur. progress, when set, is called after each
// secret (the activity heartbeats with it). An error is a call that
// failed (throttling the SDK could not absorb, access denied, Temporal
// unreachable): the page can be asked again from the same cursor.
func (s *Source) Page(ctx context.Context, cur Cursor, defaultMaxAge time.Duration, now time.Time, progress func(done int)) (Page, error) {
	ix, err := s.schedules(ctx)
	if err != nil {
		return Page{}, err
	}
	if progress == nil {
		progress = func(int) {}
	}
	switch cur.Phase {
	case phaseManaged:
		return s.managedPage(ctx, ix, cur, defaultMaxAge, now, progress)
	case phasePlanned:
		return s.plannedPage(ctx, ix, cur, defaultMaxAge, now, progress)
	}
	return Page{Next: Cursor{Phase: phaseDone}}, nil
}

// All lists every page: `credstage report`.
func (s *Source) All(ctx context.Context, defaultMaxAge time.Duration, now time.Time) ([]Row, error) {
	var rows []Row
	for cur := (Cursor{}); !cur.Done(); {
		p, err := s.Page(ctx, cur, defaultMaxAge, now, nil)
		if err != nil {
			return nil, err
		}
		rows = append(rows, p.Rows...)
		cur = p.Next
	}
	slices.SortFunc(rows, func(a, b Row) int { return strings.Compare(a.Name, b.Name) })
	return rows, nil
}

func (s *Source) schedules(ctx context.Context) (Index, error) {
	if s.plans == nil {
		return Index{}, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.index != nil && time.Since(s.indexAt) < indexTTL {
		return s.index, nil
	}
	ix, err := s.plans.Index(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the plans of credstage's schedules: %w", err)
	}
	s.index, s.indexAt = ix, time.Now()
	return ix, nil
}

func (s *Source) managedPage(ctx context.Context, ix Index, cur Cursor, defaultMaxAge time.Duration, now time.Time, progress func(int)) (Page, error) {
	in := &secretsmanager.ListSecretsInput{MaxResults: aws.Int32(PageSize), Filters: []smtypes.Filter{
		// Tag filters match prefixes: the exact pair is checked below.
		{Key: smtypes.FilterNameStringTypeTagKey, Values: []string{TagManaged}},
		{Key: smtypes.FilterNameStringTypeTagValue, Values: []string{"true"}},
	}}
	if cur.Token != "" {
		in.NextToken = aws.String(cur.Token)
	}
	if err := s.list.Wait(ctx); err != nil {
		return Page{}, err
	}
	out, err := s.sm.ListSecrets(ctx, in)
	if err != nil {
		return Page{}, fmt.Errorf("ListSecrets: %w", err)
	}
	var page Page
	for _, e := range out.SecretList {
		tags := tagMap(e.Tags)
		if tags[TagManaged] != "true" {
			continue
		}
		name, arn := aws.ToString(e.Name), aws.ToString(e.ARN)
		if err := s.addRow(ctx, &page, name, arn, tags, ix.lookup(name, arn), defaultMaxAge, now); err != nil {
			return Page{}, err
		}
		progress(len(page.Rows))
	}
	page.Next = Cursor{Phase: phasePlanned}
	if t := aws.ToString(out.NextToken); t != "" {
		page.Next = Cursor{Phase: phaseManaged, Token: t}
	}
	return page, nil
}

func (s *Source) plannedPage(ctx context.Context, ix Index, cur Cursor, defaultMaxAge time.Duration, now time.Time, progress func(int)) (Page, error) {
	ids := ix.names()
	start, _ := slices.BinarySearch(ids, cur.Token)
	if start < len(ids) && ids[start] == cur.Token {
		start++
	}
	ids = ids[start:min(start+PageSize, len(ids))]
	var page Page
	for _, id := range ids {
		if err := s.describe.Wait(ctx); err != nil {
			return Page{}, err
		}
		d, err := s.sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(id)})
		var nf *smtypes.ResourceNotFoundException
		switch {
		case errors.As(err, &nf):
			row := newRow(id, nil, ix[id], time.Time{}, defaultMaxAge, now)
			row.Error = "secret not found (named by a schedule's plan)"
			page.Rows = append(page.Rows, row)
			continue
		case err != nil:
			return Page{}, fmt.Errorf("DescribeSecret %s: %w", id, err)
		}
		name, arn := aws.ToString(d.Name), aws.ToString(d.ARN)
		tags := tagMap(d.Tags)
		if d.DeletedDate != nil {
			row := newRow(name, tags, ix.lookup(name, arn), time.Time{}, defaultMaxAge, now)
			row.Error = "secret scheduled for deletion (named by a schedule's plan)"
			page.Rows = append(page.Rows, row)
			continue
		}
		_, byName := ix[name]
		if tags[TagManaged] == "true" || (id != name && byName) {
			continue // listed with the managed secrets, or under its name
		}
		if err := s.addRow(ctx, &page, name, arn, tags, ix.lookup(name, arn), defaultMaxAge, now); err != nil {
			return Page{}, err
		}
		progress(len(page.Rows))
	}
	page.Next = Cursor{Phase: phaseDone}
	if len(ids) == PageSize {
		page.Next = Cursor{Phase: phasePlanned, Token: ids[len(ids)-1]}
	}
	return page, nil
}

// addRow adds a secret's row to the page, unless it was deleted since it
// was listed.
func (s *Source) addRow(ctx context.Context, page *Page, name, arn string, tags map[string]string, p Planned, defaultMaxAge time.Duration, now time.Time) error {
	row, ok, err := s.row(ctx, name, arn, tags, p, defaultMaxAge, now)
	if ok {
		page.Rows = append(page.Rows, row)
	}
	return err
}

// row reads one secret's AWSCURRENT creation date; ok is false when the
// secret was deleted since it was listed. A refusal of that one secret (a
// resource policy that is not credstage's, which leaves the CLI its
// metadata reads) leaves its age unknown rather than failing the whole
// listing.
func (s *Source) row(ctx context.Context, name, arn string, tags map[string]string, p Planned, defaultMaxAge time.Duration, now time.Time) (Row, bool, error) {
	created, err := s.currentCreated(ctx, arn)
	var nf *smtypes.ResourceNotFoundException
	var api smithy.APIError
	switch {
	case errors.As(err, &nf):
		return Row{}, false, nil
	case errors.As(err, &api) && api.ErrorCode() == "AccessDeniedException":
		row := newRow(name, tags, p, time.Time{}, defaultMaxAge, now)
		row.Error = "not allowed to list its versions (AccessDeniedException)"
		return row, true, nil
	case err != nil:
		return Row{}, false, err
	}
	row := newRow(name, tags, p, created, defaultMaxAge, now)
	if created.IsZero() {
		row.Error = "no AWSCURRENT version"
	}
	return row, true, nil
}

// currentCreated is the CreatedDate of the version labelled AWSCURRENT,
// zero when none is. ListSecretVersionIds returns no value.
func (s *Source) currentCreated(ctx context.Context, secretID string) (time.Time, error) {
	in := &secretsmanager.ListSecretVersionIdsInput{SecretId: aws.String(secretID), MaxResults: aws.Int32(100)}
	for {
		if err := s.versions.Wait(ctx); err != nil {
			return time.Time{}, err
		}
		out, err := s.sm.ListSecretVersionIds(ctx, in)
		if err != nil {
			return time.Time{}, fmt.Errorf("ListSecretVersionIds %s: %w", secretID, err)
		}
		for _, v := range out.Versions {
			if slices.Contains(v.VersionStages, "AWSCURRENT") {
				return aws.ToTime(v.CreatedDate), nil
			}
		}
		if aws.ToString(out.NextToken) == "" {
			return time.Time{}, nil
		}
		in.NextToken = out.NextToken
	}
}

func tagMap(tags []smtypes.Tag) map[string]string {
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}
