package localaws

import (
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

func listNames(t *testing.T, c *secretsmanager.Client, in *secretsmanager.ListSecretsInput) []string {
	t.Helper()
	var names []string
	p := secretsmanager.NewListSecretsPaginator(c, in)
	for p.HasMorePages() {
		page := mustSM(p.NextPage(smCtx(t)))(t)
		for _, e := range page.SecretList {
			names = append(names, aws.ToString(e.Name))
		}
	}
	return names
}

func filter(key smtypes.FilterNameStringType, values ...string) smtypes.Filter {
	return smtypes.Filter{Key: key, Values: values}
}

func TestSMListSecretsFilters(t *testing.T) {
	srv, c := startSMServer(t, Options{})
	ctx := smCtx(t)
	mk := func(name, desc string, tags map[string]string) {
		in := &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String("v")}
		if desc != "" {
			in.Description = aws.String(desc)
		}
		for k, v := range tags {
			in.Tags = append(in.Tags, smtypes.Tag{Key: aws.String(k), Value: aws.String(v)})
		}
		mustSM(c.CreateSecret(ctx, in))(t)
	}
	mk("DatabaseSecret", "Orders database", map[string]string{"env": "staging"})
	mk("databaseSecret", "", map[string]string{"env": "production", "team": "payments"})
	mk("MyData", "cache credentials", nil)
	mk("prod/api-key", "Public API key", map[string]string{"environment": "prod"})
	if _, err := srv.sm.createServiceSecret("rds!db-1234", "rds", "master user", map[string]string{"aws:rds:primaryDBInstanceArn": "arn:aws:rds:us-east-1:000000000000:db:pg1"}, `{"username":"postgres","password":"x"}`); err != nil {
		t.Fatalf("createServiceSecret: %v", err)
	}

	cases := []struct {
		name    string
		filters []smtypes.Filter
		want    []string
	}{
		{"name prefix is case-sensitive", []smtypes.Filter{filter("name", "Data")}, []string{"DatabaseSecret"}},
		{"name values are ORed", []smtypes.Filter{filter("name", "Data", "My")}, []string{"DatabaseSecret", "MyData"}},
		{"description ignores case", []smtypes.Filter{filter("description", "orders")}, []string{"DatabaseSecret"}},
		{"tag-key prefix", []smtypes.Filter{filter("tag-key", "env")}, []string{"DatabaseSecret", "databaseSecret", "prod/api-key"}},
		{"tag-value", []smtypes.Filter{filter("tag-value", "prod")}, []string{"databaseSecret", "prod/api-key"}},
		{"filters are ANDed", []smtypes.Filter{filter("tag-key", "env"), filter("tag-value", "staging")}, []string{"DatabaseSecret"}},
		{"negation", []smtypes.Filter{filter("tag-key", "env"), filter("name", "!prod")}, []string{"DatabaseSecret", "databaseSecret"}},
		{"owning-service", []smtypes.Filter{filter("owning-service", "rds")}, []string{"rds!db-1234"}},
		{"all splits words and ignores case", []smtypes.Filter{filter("all", "payments")}, []string{"databaseSecret"}},
		{"all matches word prefixes in names", []smtypes.Filter{filter("all", "api")}, []string{"prod/api-key"}},
		{"all matches camel-case words", []smtypes.Filter{filter("all", "secret")}, []string{"DatabaseSecret", "databaseSecret"}},
		{"no filter lists everything", nil, []string{"DatabaseSecret", "databaseSecret", "MyData", "prod/api-key", "rds!db-1234"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := listNames(t, c, &secretsmanager.ListSecretsInput{Filters: tc.filters})
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}

	out := mustSM(c.ListSecrets(ctx, &secretsmanager.ListSecretsInput{Filters: []smtypes.Filter{filter("owning-service", "rds")}}))(t)
	e := out.SecretList[0]
	if aws.ToString(e.OwningService) != "rds" || len(e.SecretVersionsToStages) != 1 || e.CreatedDate == nil {
		t.Fatalf("list entry for the RDS secret: %+v", e)
	}
	_, err := c.ListSecrets(ctx, &secretsmanager.ListSecretsInput{Filters: []smtypes.Filter{filter("color", "x")}})
	requireSMError(t, err, "ValidationException", "")
	_, err = c.ListSecrets(ctx, &secretsmanager.ListSecretsInput{Filters: []smtypes.Filter{filter("name", "a*b")}})
	requireSMError(t, err, "ValidationException", "pattern")
}

func TestSMListSecretsPagination(t *testing.T) {
	_, c := startSMServer(t, Options{})
	ctx := smCtx(t)
	var want []string
	for i := range 7 {
		name := fmt.Sprintf("page/%02d", i)
		createSMSecret(t, c, name, "v")
		want = append(want, name)
	}
	got := listNames(t, c, &secretsmanager.ListSecretsInput{MaxResults: aws.Int32(2)})
	if !slices.Equal(got, want) {
		t.Fatalf("paginated list: got %v, want %v", got, want)
	}
	first := mustSM(c.ListSecrets(ctx, &secretsmanager.ListSecretsInput{MaxResults: aws.Int32(3)}))(t)
	if len(first.SecretList) != 3 || first.NextToken == nil {
		t.Fatalf("first page: %d entries, token %v", len(first.SecretList), first.NextToken)
	}
	desc := listNames(t, c, &secretsmanager.ListSecretsInput{MaxResults: aws.Int32(4), SortOrder: smtypes.SortOrderTypeDesc})
	reversed := slices.Clone(want)
	slices.Reverse(reversed)
	if !slices.Equal(desc, reversed) {
		t.Fatalf("SortOrder desc: got %v, want %v", desc, reversed)
	}
	byName := listNames(t, c, &secretsmanager.ListSecretsInput{SortBy: smtypes.SortByTypeName, SortOrder: smtypes.SortOrderTypeAsc})
	if !slices.IsSorted(byName) {
		t.Fatalf("SortBy name: %v", byName)
	}
	_, err := c.ListSecrets(ctx, &secretsmanager.ListSecretsInput{NextToken: aws.String("garbage")})
	requireSMError(t, err, "InvalidNextTokenException", "")
	_, err = c.ListSecrets(ctx, &secretsmanager.ListSecretsInput{MaxResults: aws.Int32(101)})
	requireSMError(t, err, "ValidationException", "")

	// ListSecretVersionIds paginates too, newest first.
	var ids []string
	for i := range 5 {
		out := mustSM(c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("page/00"), SecretString: aws.String(fmt.Sprint(i))}))(t)
		ids = append(ids, aws.ToString(out.VersionId))
	}
	var listed []string
	p := secretsmanager.NewListSecretVersionIdsPaginator(c, &secretsmanager.ListSecretVersionIdsInput{SecretId: aws.String("page/00"),
		IncludeDeprecated: aws.Bool(true), MaxResults: aws.Int32(2)})
	for p.HasMorePages() {
		for _, v := range mustSM(p.NextPage(ctx))(t).Versions {
			listed = append(listed, aws.ToString(v.VersionId))
		}
	}
	if len(listed) != 6 || listed[0] != ids[4] || listed[1] != ids[3] {
		t.Fatalf("versions listed %v, puts %v", listed, ids)
	}
}

func TestSMDeprecatedVersionsArePruned(t *testing.T) {
	_, c := startSMServer(t, Options{})
	ctx := smCtx(t)
	createSMSecret(t, c, "busy", "0")
	for i := range smMaxVersions + 5 {
		mustSM(c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("busy"), SecretString: aws.String(fmt.Sprint(i + 1))}))(t)
	}
	count := 0
	p := secretsmanager.NewListSecretVersionIdsPaginator(c, &secretsmanager.ListSecretVersionIdsInput{SecretId: aws.String("busy"), IncludeDeprecated: aws.Bool(true)})
	for p.HasMorePages() {
		count += len(mustSM(p.NextPage(ctx))(t).Versions)
	}
	if count != smMaxVersions {
		t.Fatalf("expected the oldest deprecated versions dropped down to %d, have %d", smMaxVersions, count)
	}
	if got := aws.ToString(valueAt(t, c, "busy", "AWSCURRENT").SecretString); got != fmt.Sprint(smMaxVersions+5) {
		t.Fatalf("AWSCURRENT is %q", got)
	}
	if got := aws.ToString(valueAt(t, c, "busy", "AWSPREVIOUS").SecretString); got != fmt.Sprint(smMaxVersions+4) {
		t.Fatalf("AWSPREVIOUS is %q", got)
	}
}

func TestSMBatchGetSecretValue(t *testing.T) {
	_, c := startSMServer(t, Options{})
	ctx := smCtx(t)
	a := createSMSecret(t, c, "batch/a", "A")
	createSMSecret(t, c, "batch/b", "B")
	createSMSecret(t, c, "batch/c", "C")
	createSMSecret(t, c, "other", "O")
	mustSM(c.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("batch/c")}))(t)

	out := mustSM(c.BatchGetSecretValue(ctx, &secretsmanager.BatchGetSecretValueInput{
		SecretIdList: []string{aws.ToString(a.ARN), "batch/b", "missing", "batch/c"}}))(t)
	if len(out.SecretValues) != 2 || aws.ToString(out.SecretValues[0].SecretString) != "A" || aws.ToString(out.SecretValues[1].SecretString) != "B" {
		t.Fatalf("batch values: %+v", out.SecretValues)
	}
	if !sameSet(out.SecretValues[0].VersionStages, []string{"AWSCURRENT"}) {
		t.Fatalf("batch entry stages %v", out.SecretValues[0].VersionStages)
	}
	errs := map[string]string{}
	for _, e := range out.Errors {
		errs[aws.ToString(e.SecretId)] = aws.ToString(e.ErrorCode)
	}
	if errs["missing"] != "ResourceNotFoundException" || errs["batch/c"] != "InvalidRequestException" || len(errs) != 2 {
		t.Fatalf("batch errors: %v", errs)
	}

	var names []string
	p := secretsmanager.NewBatchGetSecretValuePaginator(c, &secretsmanager.BatchGetSecretValueInput{
		Filters: []smtypes.Filter{filter("name", "batch/")}, MaxResults: aws.Int32(1)})
	for p.HasMorePages() {
		for _, v := range mustSM(p.NextPage(ctx))(t).SecretValues {
			names = append(names, aws.ToString(v.Name))
		}
	}
	if !slices.Equal(names, []string{"batch/a", "batch/b"}) {
		t.Fatalf("batch by filter: %v", names)
	}
	_, err := c.BatchGetSecretValue(ctx, &secretsmanager.BatchGetSecretValueInput{SecretIdList: []string{"batch/a"}, Filters: []smtypes.Filter{filter("name", "b")}})
	requireSMError(t, err, "InvalidParameterException", "not both")
	_, err = c.BatchGetSecretValue(ctx, &secretsmanager.BatchGetSecretValueInput{})
	requireSMError(t, err, "InvalidParameterException", "")
}
