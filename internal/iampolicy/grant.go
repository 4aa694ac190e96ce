package iampolicy

import (
	"maps"
	"slices"
)

// action is one IAM action a statement allows. by is empty when
// credstage sends a request of that name itself; otherwise it is the
// call credstage makes for which AWS checks the action on its behalf (a
// tag inside a create call, RDS creating or rotating its own secret,
// Secrets Manager using a KMS key).
type action struct {
	name string
	by   string
}

// grant is one statement of an identity policy: what it allows, on
// what, under which condition.
type grant struct {
	sid       string
	actions   []action
	resources Values
	condition Condition
}

// document writes grants as an identity policy, actions in name order.
func document(grants []grant) Document {
	d := Document{Version: Version}
	for _, g := range grants {
		var names Values
		for _, a := range g.actions {
			names = append(names, a.name)
		}
		slices.Sort(names)
		d.Statement = append(d.Statement, Statement{Sid: g.sid, Effect: "Allow",
			Action: slices.Compact(names), Resource: g.resources, Condition: g.condition})
	}
	return d
}

// Implied lists, for every action a credstage policy may grant although
// credstage sends no request of that name, the calls that need it. A
// check that a policy grants only the actions really called (the
// end-to-end request log) accepts these when one of their calls was
// made.
func Implied() map[string][]string {
	all := WorkerOptions{ResourcePolicies: true, KMSKeys: []string{"arn:aws:kms:*:*:key/*"}}
	sets := [][]grant{workerGrants(all, []string{""}), cliGrants(CLIOptions{}, []string{""}),
		readerGrants(ReaderOptions{KMSKeys: all.KMSKeys})}
	by := map[string]map[string]bool{}
	for _, gs := range sets {
		for _, g := range gs {
			for _, a := range g.actions {
				if a.by == "" {
					continue
				}
				if by[a.name] == nil {
					by[a.name] = map[string]bool{}
				}
				by[a.name][a.by] = true
			}
		}
	}
	out := make(map[string][]string, len(by))
	for name, calls := range by {
		out[name] = slices.Sorted(maps.Keys(calls))
	}
	return out
}
