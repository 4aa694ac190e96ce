package localaws

import (
	"encoding/json"
	"testing"
)

// TestConditions evaluates condition blocks against request contexts,
// following AWS's documented logic for each operator, set prefix and the
// IfExists suffix.
func TestConditions(t *testing.T) {
	ctx := condContext{}
	ctx.set("aws:PrincipalArn", workerARN)
	ctx.set("aws:ResourceTag/Team", "payments")
	ctx.set("aws:TagKeys", "Environment", "Team")
	ctx.set("aws:SecureTransport", "false")
	ctx.set("secretsmanager:VersionStage", "AWSCURRENT")
	cases := []struct {
		name      string
		condition string
		want      bool
	}{
		{"equals one of the values (OR)", `{"StringEquals":{"aws:ResourceTag/Team":["billing","payments"]}}`, true},
		{"equals no value", `{"StringEquals":{"aws:ResourceTag/Team":"billing"}}`, false},
		{"key names ignore case", `{"StringEquals":{"AWS:RESOURCETAG/team":"payments"}}`, true},
		{"values do not ignore case", `{"StringEquals":{"aws:ResourceTag/Team":"Payments"}}`, false},
		{"IgnoreCase", `{"StringEqualsIgnoreCase":{"aws:ResourceTag/Team":"PAYMENTS"}}`, true},
		{"keys AND", `{"StringEquals":{"aws:ResourceTag/Team":"payments","secretsmanager:VersionStage":"AWSPENDING"}}`, false},
		{"operators AND", `{"StringEquals":{"aws:ResourceTag/Team":"payments"},"Bool":{"aws:SecureTransport":"true"}}`, false},
		{"not equals", `{"StringNotEquals":{"aws:ResourceTag/Team":["billing","ops"]}}`, true},
		{"not equals a listed value", `{"StringNotEquals":{"aws:ResourceTag/Team":["billing","payments"]}}`, false},
		{"like", `{"StringLike":{"aws:ResourceTag/Team":"pay*"}}`, true},
		{"not like", `{"StringNotLike":{"aws:ResourceTag/Team":"pay?ents"}}`, false},
		{"missing key is false", `{"StringEquals":{"aws:ResourceTag/Owner":"me"}}`, false},
		{"missing key, negated, is true", `{"StringNotEquals":{"aws:ResourceTag/Owner":"me"}}`, true},
		{"missing key, IfExists, is true", `{"StringEqualsIfExists":{"aws:ResourceTag/Owner":"me"}}`, true},
		{"present key, IfExists, compares", `{"StringEqualsIfExists":{"aws:ResourceTag/Team":"me"}}`, false},
		{"Null true on a missing key", `{"Null":{"aws:ResourceTag/Owner":"true"}}`, true},
		{"Null true on a present key", `{"Null":{"aws:ResourceTag/Team":"true"}}`, false},
		{"Null false on a present key", `{"Null":{"aws:ResourceTag/Team":"false"}}`, true},
		{"Bool false", `{"Bool":{"aws:SecureTransport":false}}`, true},
		{"Bool true", `{"Bool":{"aws:SecureTransport":"true"}}`, false},
		{"ArnEquals with wildcard", `{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::000000000000:role/*"}}`, true},
		{"ArnLike other account", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111111111111:role/*"}}`, false},
		{"ArnNotEquals", `{"ArnNotEquals":{"aws:PrincipalArn":"arn:aws:iam::000000000000:user/*"}}`, true},
		{"ArnNotLike the caller", `{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/credstage-*"}}`, false},
		{"ForAllValues all listed", `{"ForAllValues:StringEquals":{"aws:TagKeys":["Environment","Team","Owner"]}}`, true},
		{"ForAllValues one unlisted", `{"ForAllValues:StringEquals":{"aws:TagKeys":["Environment"]}}`, false},
		{"ForAllValues missing key is true", `{"ForAllValues:StringEquals":{"aws:RequestTag/x":["a"]}}`, true},
		{"ForAnyValue one listed", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["Team"]}}`, true},
		{"ForAnyValue none listed", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["Owner"]}}`, false},
		{"ForAnyValue missing key is false", `{"ForAnyValue:StringEquals":{"aws:RequestTag/x":["a"]}}`, false},
		{"ForAnyValue negated", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["Team"]}}`, true},
		{"ForAllValues negated", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["Team"]}}`, false},
		{"ForAllValues like", `{"ForAllValues:StringLike":{"aws:TagKeys":["*"]}}`, true},
	}
	for _, c := range cases {
		conds, err := parseConditions(json.RawMessage(c.condition))
		if err != nil {
			t.Fatalf("%s: parse: %v", c.name, err)
		}
		if got := conditionsHold(conds, ctx); got != c.want {
			t.Errorf("%s: %s holds = %v, want %v", c.name, c.condition, got, c.want)
		}
	}
}

func TestConditionsRefused(t *testing.T) {
	for _, c := range []string{
		`{"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}}`,
		`{"ForAnyValue:Null":{"aws:TagKeys":"true"}}`,
		`{"Bool":{"aws:SecureTransport":"yes"}}`,
		`{"StringEquals":{}}`,
		`{"StringEquals":{"aws:TagKeys":[]}}`,
		`{"StringEquals":{"aws:TagKeys":{"a":1}}}`,
		`["StringEquals"]`,
	} {
		if _, err := parseConditions(json.RawMessage(c)); err == nil {
			t.Errorf("parseConditions(%s) accepted", c)
		}
	}
}
