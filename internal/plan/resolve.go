package plan

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/credstage/credstage/internal/yamlnode"
	"github.com/credstage/credstage/workflows"
)

// SecretLister is the one Secrets Manager call selectors need. It lists
// metadata only; it cannot read a secret value.
type SecretLister interface {
	ListSecrets(ctx context.Context, in *secretsmanager.ListSecretsInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.ListSecretsOutput, error)
}

var _ SecretLister = (*secretsmanager.Client)(nil)

// AWSError is a Secrets Manager call that failed for a reason other than
// the plan (network, credentials, throttling): the CLI reports it as
// "cannot reach AWS", not as a bad plan.
type AWSError struct {
	Op  string
	Err error
}

func (e *AWSError) Error() string { return e.Op + ": " + e.Err.Error() }
func (e *AWSError) Unwrap() error { return e.Err }

// HasSelectors reports whether Resolve needs to call AWS.
func (p *Parsed) HasSelectors() bool {
	for _, st := range p.Spec.Stages {
		if st.Selector != nil {
			return true
		}
	}
	return false
}

// Resolve expands every stage's selector into targets (in name order,
// after the stage's explicit targets). lister may be nil when the plan has
// no selectors.
func (p *Parsed) Resolve(ctx context.Context, lister SecretLister) (*Resolved, error) {
	r := &Resolved{parsed: p, Plan: workflows.Plan{Name: p.Spec.Name, MetricsNamespace: p.Spec.MetricsNamespace,
		OutageBudget: time.Duration(p.Spec.OutageBudget)}}
	listed := map[string]string{} // secret -> path of the explicit target
	for i, st := range p.Spec.Stages {
		for j, t := range st.Targets {
			listed[t.Secret] = fmt.Sprintf("stages[%d].targets[%d].secret", i, j)
		}
	}
	var errs yamlnode.Errors
	for i, st := range p.Spec.Stages {
		stage, origins := stagePlan(i, st, p.Spec.MaxAge, p.doc.Line)
		if st.Selector != nil {
			selPath := fmt.Sprintf("stages[%d].selector", i)
			names, err := selectSecrets(ctx, lister, st.Selector)
			if err != nil {
				return nil, err
			}
			for _, name := range names {
				if first, ok := listed[name]; ok {
					if strings.HasPrefix(first, fmt.Sprintf("stages[%d].", i)) {
						continue // listed explicitly in this stage: its settings win
					}
					errs = append(errs, p.doc.Errorf(selPath, "selector matches secret %q, which %s (line %d) already lists; a secret is rotated once per run", name, first, p.doc.Line(first)))
					continue
				}
				listed[name] = selPath
				stage.Targets = append(stage.Targets, workflows.Target{SecretID: name, Strategy: strategyOf("", st.Strategy)})
				origins = append(origins, Origin{Path: selPath, Line: p.doc.Line(selPath), Selected: true})
			}
			if len(stage.Targets) == 0 {
				errs = append(errs, p.doc.Errorf(selPath, "stage %q has no targets: the selector %s matches no secret", st.Name, describeSelector(st.Selector)))
			}
		}
		r.Plan.Stages = append(r.Plan.Stages, stage)
		r.Origins = append(r.Origins, origins)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return r, nil
}

// selectSecrets lists the names of secrets matching sel. ListSecrets
// filters match prefixes and do not pair keys with values, so the server
// narrows the list and the exact match is decided here.
func selectSecrets(ctx context.Context, lister SecretLister, sel *SelectorSpec) ([]string, error) {
	entries, err := listMatching(ctx, lister, sel)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = aws.ToString(e.Name)
	}
	return names, nil
}

// listMatching lists the secrets matching sel, not deleted, in name order.
func listMatching(ctx context.Context, lister SecretLister, sel *SelectorSpec) ([]smtypes.SecretListEntry, error) {
	if lister == nil {
		return nil, &AWSError{Op: "ListSecrets", Err: fmt.Errorf("no Secrets Manager client to resolve selectors")}
	}
	in := &secretsmanager.ListSecretsInput{MaxResults: aws.Int32(100)}
	if sel.NamePrefix != "" {
		in.Filters = append(in.Filters, smtypes.Filter{Key: smtypes.FilterNameStringTypeName, Values: []string{sel.NamePrefix}})
	}
	if keys := sortedKeys(sel.Tags); len(keys) > 0 {
		in.Filters = append(in.Filters,
			smtypes.Filter{Key: smtypes.FilterNameStringTypeTagKey, Values: []string{keys[0]}},
			smtypes.Filter{Key: smtypes.FilterNameStringTypeTagValue, Values: []string{sel.Tags[keys[0]]}})
	}
	var entries []smtypes.SecretListEntry
	for {
		out, err := lister.ListSecrets(ctx, in)
		if err != nil {
			return nil, &AWSError{Op: "ListSecrets", Err: err}
		}
		for _, e := range out.SecretList {
			if e.DeletedDate == nil && matches(e, sel) {
				entries = append(entries, e)
			}
		}
		if aws.ToString(out.NextToken) == "" {
			break
		}
		in.NextToken = out.NextToken
	}
	sort.Slice(entries, func(i, j int) bool { return aws.ToString(entries[i].Name) < aws.ToString(entries[j].Name) })
	return entries, nil
}

func matches(e smtypes.SecretListEntry, sel *SelectorSpec) bool {
	if !strings.HasPrefix(aws.ToString(e.Name), sel.NamePrefix) {
		return false
	}
	have := map[string]string{}
	for _, t := range e.Tags {
		have[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	for k, v := range sel.Tags {
		if got, ok := have[k]; !ok || got != v {
			return false
		}
	}
	return true
}

func describeSelector(sel *SelectorSpec) string {
	var parts []string
	for _, k := range sortedKeys(sel.Tags) {
		parts = append(parts, k+"="+sel.Tags[k])
	}
	if sel.NamePrefix != "" {
		parts = append(parts, "namePrefix="+sel.NamePrefix)
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
