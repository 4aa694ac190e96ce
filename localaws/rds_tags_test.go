package localaws

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
)

// TestRDSTagsAndPagination shares three instances between tag and paging
// checks (each instance is a real cluster, so they are not cheap).
func TestRDSTagsAndPagination(t *testing.T) {
	srv, client := startRDSServer(t, Options{})
	srv.rds.mu.Lock()
	srv.rds.minPageSize = 1 // AWS's floor is 20; three clusters are enough to page
	srv.rds.mu.Unlock()
	ctx := rdsCtx(t)
	ids := []string{"page-c", "page-a", "page-b"}
	for _, id := range ids {
		if _, err := client.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{
			DBInstanceIdentifier: aws.String(id), DBInstanceClass: aws.String("db.t4g.micro"), Engine: aws.String("postgres"),
			MasterUsername: aws.String("master"), MasterUserPassword: aws.String("Paging-Pass-1"),
		}); err != nil {
			t.Fatalf("create %s: %v", id, err)
		}
	}
	// The waiter without an identifier waits for every instance.
	if err := rds.NewDBInstanceAvailableWaiter(client, func(o *rds.DBInstanceAvailableWaiterOptions) {
		o.MinDelay, o.MaxDelay = 100*time.Millisecond, 300*time.Millisecond
	}).Wait(ctx, &rds.DescribeDBInstancesInput{}, 2*time.Minute); err != nil {
		t.Fatalf("waiter: %v", err)
	}

	t.Run("pagination", func(t *testing.T) {
		first, err := client.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{MaxRecords: aws.Int32(2)})
		if err != nil || len(first.DBInstances) != 2 || first.Marker == nil {
			t.Fatalf("first page: %d, marker %v, %v", len(first.DBInstances), first.Marker, err)
		}
		second, err := client.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{MaxRecords: aws.Int32(2), Marker: first.Marker})
		if err != nil || len(second.DBInstances) != 1 || second.Marker != nil {
			t.Fatalf("second page: %d, marker %v, %v", len(second.DBInstances), second.Marker, err)
		}
		var got []string
		p := rds.NewDescribeDBInstancesPaginator(client, &rds.DescribeDBInstancesInput{MaxRecords: aws.Int32(1)})
		pages := 0
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			for _, db := range out.DBInstances {
				got = append(got, aws.ToString(db.DBInstanceIdentifier))
			}
		}
		if pages != 3 || len(got) != 3 || got[0] != "page-a" || got[1] != "page-b" || got[2] != "page-c" {
			t.Fatalf("paginator: %d pages, %v", pages, got)
		}
	})

	// What a coalesced availability wait asks: one db-instance-id filter
	// naming several instances, by identifier (any case) or ARN, paged.
	t.Run("filtered pagination", func(t *testing.T) {
		filter := []rdstypes.Filter{{Name: aws.String("db-instance-id"),
			Values: []string{"arn:aws:rds:us-east-1:000000000000:db:page-c", "PAGE-A", "page-missing"}}}
		var got []string
		in := &rds.DescribeDBInstancesInput{Filters: filter, MaxRecords: aws.Int32(1)}
		for pages := 1; ; pages++ {
			out, err := client.DescribeDBInstances(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			for _, db := range out.DBInstances {
				got = append(got, aws.ToString(db.DBInstanceIdentifier))
			}
			if out.Marker == nil {
				break
			}
			if pages > 3 {
				t.Fatalf("more than 3 pages for 2 matches: %v", got)
			}
			in.Marker = out.Marker
		}
		if len(got) != 2 || got[0] != "page-a" || got[1] != "page-c" {
			t.Fatalf("filtered pages gave %v, want [page-a page-c]", got)
		}
	})

	t.Run("tags", func(t *testing.T) {
		arn := "arn:aws:rds:us-east-1:000000000000:db:page-a"
		list := func() map[string]string {
			t.Helper()
			out, err := client.ListTagsForResource(ctx, &rds.ListTagsForResourceInput{ResourceName: aws.String(arn)})
			if err != nil {
				t.Fatalf("ListTagsForResource: %v", err)
			}
			m := map[string]string{}
			for _, tag := range out.TagList {
				m[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
			}
			return m
		}
		if got := list(); len(got) != 0 {
			t.Fatalf("new instance has tags %v", got)
		}
		if _, err := client.AddTagsToResource(ctx, &rds.AddTagsToResourceInput{ResourceName: aws.String(arn), Tags: []rdstypes.Tag{
			{Key: aws.String("env"), Value: aws.String("staging")}, {Key: aws.String("team"), Value: aws.String("db")}}}); err != nil {
			t.Fatalf("AddTagsToResource: %v", err)
		}
		if _, err := client.AddTagsToResource(ctx, &rds.AddTagsToResourceInput{ResourceName: aws.String(arn), Tags: []rdstypes.Tag{
			{Key: aws.String("env"), Value: aws.String("production")}, {Key: aws.String("empty"), Value: aws.String("")}}}); err != nil {
			t.Fatalf("AddTagsToResource: %v", err)
		}
		if got := list(); len(got) != 3 || got["env"] != "production" || got["team"] != "db" {
			t.Fatalf("tags after add: %v", got)
		}
		if db := describeOne(t, client, "page-a"); len(db.TagList) != 3 {
			t.Fatalf("DescribeDBInstances TagList %v", db.TagList)
		}
		if _, err := client.RemoveTagsFromResource(ctx, &rds.RemoveTagsFromResourceInput{ResourceName: aws.String(arn), TagKeys: []string{"team", "absent"}}); err != nil {
			t.Fatalf("RemoveTagsFromResource: %v", err)
		}
		if got := list(); len(got) != 2 || got["env"] != "production" {
			t.Fatalf("tags after remove: %v", got)
		}
		_, err := client.AddTagsToResource(ctx, &rds.AddTagsToResourceInput{ResourceName: aws.String(arn), Tags: []rdstypes.Tag{{Key: aws.String("rds:x"), Value: aws.String("y")}}})
		wantAPIError(t, err, "InvalidParameterValue", 400)
		_, err = client.AddTagsToResource(ctx, &rds.AddTagsToResourceInput{ResourceName: aws.String("arn:aws:rds:us-east-1:000000000000:db:nope"), Tags: []rdstypes.Tag{{Key: aws.String("a"), Value: aws.String("b")}}})
		wantAPIError(t, err, "DBInstanceNotFound", 404)
		_, err = client.RemoveTagsFromResource(ctx, &rds.RemoveTagsFromResourceInput{ResourceName: aws.String("not-an-arn"), TagKeys: []string{"a"}})
		wantAPIError(t, err, "InvalidParameterValue", 400)
	})
}
