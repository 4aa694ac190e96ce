package localaws

import (
	"encoding/xml"
	"errors"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

const cwTestDashboardBody = `{"widgets":[{"type":"metric","x":0,"y":0,"width":12,"height":6,"properties":{"region":"us-east-1","stat":"Sum","period":300,"metrics":[["Credstage","RotationSucceeded","Environment","staging"],[{"expression":"m1*2","label":"twice"}]]}},{"type":"text","properties":{"markdown":"hi"}}]}`

// TestCWDashboardsSDK drives the four operations through the real SDK
// client (RPC v2 CBOR): put, get back byte for byte, list with a prefix,
// replace, delete all or nothing.
func TestCWDashboardsSDK(t *testing.T) {
	_, c := startCWServer(t, Options{})
	ctx := cwCtx(t)
	put := func(name, body string) (*cloudwatch.PutDashboardOutput, error) {
		return c.PutDashboard(ctx, &cloudwatch.PutDashboardInput{DashboardName: aws.String(name), DashboardBody: aws.String(body)})
	}
	out, err := put("credstage", cwTestDashboardBody)
	if err != nil || len(out.DashboardValidationMessages) != 0 {
		t.Fatalf("PutDashboard: %v %+v", err, out)
	}
	if _, err := put("credstage-other", `{"widgets":[]}`); err != nil {
		t.Fatalf("PutDashboard with no widgets: %v", err)
	}
	if _, err := put("zzz", `{"widgets":[]}`); err != nil {
		t.Fatalf("PutDashboard: %v", err)
	}
	got, err := c.GetDashboard(ctx, &cloudwatch.GetDashboardInput{DashboardName: aws.String("credstage")})
	if err != nil {
		t.Fatalf("GetDashboard: %v", err)
	}
	if aws.ToString(got.DashboardBody) != cwTestDashboardBody || aws.ToString(got.DashboardName) != "credstage" ||
		aws.ToString(got.DashboardArn) != "arn:aws:cloudwatch::000000000000:dashboard/credstage" {
		t.Fatalf("GetDashboard %s %s %s", aws.ToString(got.DashboardName), aws.ToString(got.DashboardArn), aws.ToString(got.DashboardBody))
	}
	list, err := c.ListDashboards(ctx, &cloudwatch.ListDashboardsInput{DashboardNamePrefix: aws.String("credstage")})
	if err != nil || len(list.DashboardEntries) != 2 {
		t.Fatalf("ListDashboards: %v %+v", err, list)
	}
	e := list.DashboardEntries[0]
	if aws.ToString(e.DashboardName) != "credstage" || aws.ToInt64(e.Size) != int64(len(cwTestDashboardBody)) || e.LastModified == nil ||
		aws.ToString(e.DashboardArn) != "arn:aws:cloudwatch::000000000000:dashboard/credstage" {
		t.Fatalf("entry %+v", e)
	}

	_, err = c.GetDashboard(ctx, &cloudwatch.GetDashboardInput{DashboardName: aws.String("missing")})
	requireCWError(t, err, "ResourceNotFound", "missing")
	var nf *cwtypes.DashboardNotFoundError
	if !errors.As(err, &nf) {
		t.Fatalf("want DashboardNotFoundError, got %T", err)
	}
	_, err = c.DeleteDashboards(ctx, &cloudwatch.DeleteDashboardsInput{DashboardNames: []string{"credstage-other", "missing"}})
	requireCWError(t, err, "ResourceNotFound", "missing")
	if _, err := c.GetDashboard(ctx, &cloudwatch.GetDashboardInput{DashboardName: aws.String("credstage-other")}); err != nil {
		t.Fatalf("a refused DeleteDashboards deleted credstage-other: %v", err)
	}
	if _, err := c.DeleteDashboards(ctx, &cloudwatch.DeleteDashboardsInput{DashboardNames: []string{"credstage-other", "zzz"}}); err != nil {
		t.Fatalf("DeleteDashboards: %v", err)
	}
	list, err = c.ListDashboards(ctx, &cloudwatch.ListDashboardsInput{})
	if err != nil || len(list.DashboardEntries) != 1 {
		t.Fatalf("ListDashboards after delete: %v %+v", err, list)
	}
}

// TestCWDashboardValidation: what CloudWatch refuses, with the typed error
// and its validation messages naming the JSON path of each problem.
func TestCWDashboardValidation(t *testing.T) {
	srv, c := startCWServer(t, Options{})
	ctx := cwCtx(t)
	for _, tc := range []struct {
		name, body, code, path, msg string
	}{
		{"bad name", `{"widgets":[]}`, "InvalidParameterInput", "", "invalid characters"},
		{"ok", `[]`, "InvalidParameterInput", "", "valid JSON object"},
		{"ok", `{"widgets":`, "InvalidParameterInput", "", "valid JSON object"},
		{"ok", `{}`, "InvalidParameterInput", "", "required property 'widgets'"},
		{"ok", `{"widgets":{}}`, "InvalidParameterInput", "/widgets", "Should be array"},
		{"ok", `{"widgets":[{"type":"pie","properties":{}}]}`, "InvalidParameterInput", "/widgets/0/type", "allowed values"},
		{"ok", `{"widgets":[{"type":"metric","properties":{"metrics":[]}}]}`, "InvalidParameterInput", "/widgets/0/properties", "'region'"},
		{"ok", `{"widgets":[{"type":"metric","width":25,"properties":{"region":"us-east-1"}}]}`, "InvalidParameterInput", "/widgets/0/width", "between 1 and 24"},
		{"ok", `{"widgets":[{"type":"metric","properties":{"region":"us-east-1","metrics":[["Credstage",5]]}}]}`, "InvalidParameterInput", "/widgets/0/properties/metrics/0/1", "Should be string"},
		{"ok", `{"widgets":[{"type":"text"}]}`, "InvalidParameterInput", "/widgets/0", "'properties'"},
		{"ok", `{"widgets":[{"type":"text","properties":{}}]}`, "InvalidParameterInput", "/widgets/0/properties", "'markdown'"},
		{"ok", `{"widgets":[]}` + strings.Repeat(" ", cwMaxDashboardBody), "InvalidParameterInput", "", "bytes or less"},
	} {
		name := tc.name
		if name == "bad name" {
			name = "has space"
		}
		_, err := c.PutDashboard(ctx, &cloudwatch.PutDashboardInput{DashboardName: aws.String(name), DashboardBody: aws.String(tc.body)})
		requireCWError(t, err, tc.code, tc.msg)
		var invalid *cwtypes.DashboardInvalidInputError
		if !errors.As(err, &invalid) {
			t.Fatalf("%s: want DashboardInvalidInputError, got %T", tc.body, err)
		}
		if tc.path != "" && (len(invalid.DashboardValidationMessages) == 0 || aws.ToString(invalid.DashboardValidationMessages[0].DataPath) != tc.path) {
			t.Errorf("%.60s: validation messages %+v, want path %s", tc.body, invalid.DashboardValidationMessages, tc.path)
		}
	}
	_, err := c.PutDashboard(ctx, &cloudwatch.PutDashboardInput{DashboardName: aws.String(strings.Repeat("a", 256)), DashboardBody: aws.String(`{"widgets":[]}`)})
	requireCWError(t, err, "InvalidParameterInput", "255")
	// The SDK refuses a missing body itself; the AWS CLI's JSON does not.
	if r := cwJSON10(t, srv, "PutDashboard", `{"DashboardName":"x"}`); r.status != 400 || !strings.HasPrefix(r.header.Get("x-amzn-query-error"), "MissingParameter;") {
		t.Fatalf("PutDashboard without a body: %d %s", r.status, r.body)
	}
	if list, err := c.ListDashboards(ctx, &cloudwatch.ListDashboardsInput{}); err != nil || len(list.DashboardEntries) != 0 {
		t.Fatalf("a refused PutDashboard stored a dashboard: %+v %v", list, err)
	}
}

// TestCWDashboardsQuery: the same operations on awsQuery, as older SDKs
// and the console's tooling send them.
func TestCWDashboardsQuery(t *testing.T) {
	srv, _ := startCWServer(t, Options{})
	cwRequireOK(t, "PutDashboard", cwQuery(t, srv, "PutDashboard", url.Values{"DashboardName": {"q-dash"}, "DashboardBody": {cwTestDashboardBody}}))
	r := cwQuery(t, srv, "GetDashboard", url.Values{"DashboardName": {"q-dash"}})
	cwRequireOK(t, "GetDashboard", r)
	var got struct {
		Result struct {
			DashboardArn, DashboardBody, DashboardName string
		} `xml:"GetDashboardResult"`
	}
	if err := xml.Unmarshal(r.body, &got); err != nil || got.Result.DashboardBody != cwTestDashboardBody ||
		got.Result.DashboardArn != "arn:aws:cloudwatch::000000000000:dashboard/q-dash" {
		t.Fatalf("GetDashboard %s: %v", r.body, err)
	}
	r = cwQuery(t, srv, "ListDashboards", url.Values{"DashboardNamePrefix": {"q-"}})
	cwRequireOK(t, "ListDashboards", r)
	var list struct {
		Result struct {
			Entries []struct {
				DashboardName string
				Size          int64
				LastModified  string
			} `xml:"DashboardEntries>member"`
		} `xml:"ListDashboardsResult"`
	}
	if err := xml.Unmarshal(r.body, &list); err != nil || len(list.Result.Entries) != 1 ||
		list.Result.Entries[0].DashboardName != "q-dash" || list.Result.Entries[0].Size != int64(len(cwTestDashboardBody)) ||
		!strings.HasSuffix(list.Result.Entries[0].LastModified, "Z") {
		t.Fatalf("ListDashboards %s: %v", r.body, err)
	}
	r = cwQuery(t, srv, "PutDashboard", url.Values{"DashboardName": {"q-dash"}, "DashboardBody": {`{}`}})
	if r.status != 400 || !strings.Contains(string(r.body), "<Code>InvalidParameterInput</Code>") {
		t.Fatalf("invalid PutDashboard on query: %d %s", r.status, r.body)
	}
	r = cwQuery(t, srv, "DeleteDashboards", url.Values{"DashboardNames.member.1": {"nope"}})
	if r.status != 404 || !strings.Contains(string(r.body), "<Code>ResourceNotFound</Code>") {
		t.Fatalf("DeleteDashboards of a missing one on query: %d %s", r.status, r.body)
	}
	cwRequireOK(t, "DeleteDashboards", cwQuery(t, srv, "DeleteDashboards", url.Values{"DashboardNames.member.1": {"q-dash"}}))

	// JSON 1.0 as the AWS CLI sends it.
	cwRequireOK(t, "PutDashboard", cwJSON10(t, srv, "PutDashboard", `{"DashboardName":"j","DashboardBody":"{\"widgets\":[]}"}`))
	r = cwJSON10(t, srv, "GetDashboard", `{"DashboardName":"j"}`)
	if r.status != 200 || !strings.Contains(string(r.body), `"DashboardArn":"arn:aws:cloudwatch::000000000000:dashboard/j"`) {
		t.Fatalf("GetDashboard on JSON 1.0: %d %s", r.status, r.body)
	}
	r = cwJSON10(t, srv, "PutDashboard", `{"DashboardName":"j","DashboardBody":"{}"}`)
	if r.status != 400 || !strings.Contains(string(r.body), `"__type":"DashboardInvalidInputError"`) ||
		!strings.Contains(string(r.body), `"dashboardValidationMessages":[{"Message":"Should have required property 'widgets'"}]`) {
		t.Fatalf("invalid PutDashboard on JSON 1.0: %d %s", r.status, r.body)
	}
}

// TestCWDashboardsPersist: dashboards survive a restart as alarms do.
func TestCWDashboardsPersist(t *testing.T) {
	dir := t.TempDir()
	srv, c := startCWServer(t, Options{DataDir: dir})
	if _, err := c.PutDashboard(cwCtx(t), &cloudwatch.PutDashboardInput{DashboardName: aws.String("kept"), DashboardBody: aws.String(cwTestDashboardBody)}); err != nil {
		t.Fatalf("PutDashboard: %v", err)
	}
	if err := srv.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	_, c = startCWServer(t, Options{DataDir: dir})
	got, err := c.GetDashboard(cwCtx(t), &cloudwatch.GetDashboardInput{DashboardName: aws.String("kept")})
	if err != nil || aws.ToString(got.DashboardBody) != cwTestDashboardBody {
		t.Fatalf("after restart: %v %v", got, err)
	}
}

// TestIAMCloudWatchDashboards: dashboard operations name the dashboard's
// ARN (no Region), one request per name; ListDashboards has no resource.
func TestIAMCloudWatchDashboards(t *testing.T) {
	const prefix = "arn:aws:cloudwatch::000000000000:dashboard/"
	srv := startIAMServer(t, withAdmin(iamConfig([]string{
		`{"Effect":"Allow","Action":["cloudwatch:PutDashboard","cloudwatch:GetDashboard","cloudwatch:DeleteDashboards"],"Resource":"` + prefix + `credstage*"}`})))
	worker, admin := cwClientAs(srv, workerKey, workerSecret), cwClientAs(srv, adminKey, adminSecret)
	ctx := iamCtx(t)
	put := func(c *cloudwatch.Client, name string) error {
		_, err := c.PutDashboard(ctx, &cloudwatch.PutDashboardInput{DashboardName: aws.String(name), DashboardBody: aws.String(`{"widgets":[]}`)})
		return err
	}
	if err := put(worker, "credstage"); err != nil {
		t.Fatalf("PutDashboard: %v", err)
	}
	requireAPIError(t, put(worker, "other"), "AccessDenied", 403, "cloudwatch:PutDashboard on resource: "+prefix+"other")
	if err := put(admin, "other"); err != nil {
		t.Fatalf("admin PutDashboard: %v", err)
	}
	if _, err := worker.GetDashboard(ctx, &cloudwatch.GetDashboardInput{DashboardName: aws.String("credstage")}); err != nil {
		t.Fatalf("GetDashboard: %v", err)
	}
	_, err := worker.ListDashboards(ctx, &cloudwatch.ListDashboardsInput{})
	requireAPIError(t, err, "AccessDenied", 403, "cloudwatch:ListDashboards")
	_, err = worker.DeleteDashboards(ctx, &cloudwatch.DeleteDashboardsInput{DashboardNames: []string{"credstage", "other"}})
	requireAPIError(t, err, "AccessDenied", 403, "cloudwatch:DeleteDashboards on resource: "+prefix+"other")
	if _, err := admin.GetDashboard(ctx, &cloudwatch.GetDashboardInput{DashboardName: aws.String("credstage")}); err != nil {
		t.Fatalf("a refused DeleteDashboards deleted: %v", err)
	}
}

// TestCWListDashboardsPages: 1,000 entries a page, in name order, and the
// SDK's paginator reads them all.
func TestCWListDashboardsPages(t *testing.T) {
	srv, c := startCWServer(t, Options{})
	for i := range cwListDashboardPage + 5 {
		name := "d-" + strings.Repeat("0", 4-len(strconv.Itoa(i))) + strconv.Itoa(i)
		if _, err := srv.cw.putDashboard(&putDashboardInput{DashboardName: name, DashboardBody: `{"widgets":[]}`}); err != nil {
			t.Fatal(err)
		}
	}
	first, err := c.ListDashboards(cwCtx(t), &cloudwatch.ListDashboardsInput{})
	if err != nil || len(first.DashboardEntries) != cwListDashboardPage || first.NextToken == nil {
		t.Fatalf("first page: %d entries, token %v, %v", len(first.DashboardEntries), first.NextToken, err)
	}
	var names []string
	p := cloudwatch.NewListDashboardsPaginator(c, &cloudwatch.ListDashboardsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(cwCtx(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.DashboardEntries {
			names = append(names, aws.ToString(e.DashboardName))
		}
	}
	if len(names) != cwListDashboardPage+5 || !sort.StringsAreSorted(names) {
		t.Fatalf("paged through %d names (sorted: %v)", len(names), sort.StringsAreSorted(names))
	}
	_, err = c.ListDashboards(cwCtx(t), &cloudwatch.ListDashboardsInput{NextToken: aws.String("garbage!")})
	requireCWError(t, err, "InvalidParameterValue", "Request parameter NextToken is invalid")
}
