package localaws

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

func TestCWGetMetricDataRoundTripsDatums(t *testing.T) {
	srv, c := startCWServer(t, Options{})
	clock := useCWFakeClock(srv)
	t0 := clock.Now().Add(-10 * time.Minute)
	dims := []cwtypes.Dimension{cwDim("Environment", "staging"), cwDim("SecretName", "app/db")}
	// The same metric whatever order the dimensions come in.
	reversed := []cwtypes.Dimension{dims[1], dims[0]}
	cwPut(t, c, "Credstage",
		cwtypes.MetricDatum{MetricName: aws.String("RotationDuration"), Dimensions: dims, Timestamp: aws.Time(t0), Value: aws.Float64(100), Unit: cwtypes.StandardUnitMilliseconds},
		cwtypes.MetricDatum{MetricName: aws.String("RotationDuration"), Dimensions: reversed, Timestamp: aws.Time(t0.Add(20 * time.Second)), Value: aws.Float64(300), Unit: cwtypes.StandardUnitMilliseconds},
		cwtypes.MetricDatum{MetricName: aws.String("RotationDuration"), Dimensions: dims, Timestamp: aws.Time(t0.Add(time.Minute)),
			Values: []float64{10, 20}, Counts: []float64{3, 1}, Unit: cwtypes.StandardUnitMilliseconds},
		cwtypes.MetricDatum{MetricName: aws.String("RotationDuration"), Dimensions: dims, Timestamp: aws.Time(t0.Add(2 * time.Minute)),
			StatisticValues: &cwtypes.StatisticSet{SampleCount: aws.Float64(4), Sum: aws.Float64(40), Minimum: aws.Float64(5), Maximum: aws.Float64(15)},
			Unit:            cwtypes.StandardUnitMilliseconds, StorageResolution: aws.Int32(1)},
	)

	metric := &cwtypes.Metric{Namespace: aws.String("Credstage"), MetricName: aws.String("RotationDuration"), Dimensions: dims}
	query := func(id, stat string) cwtypes.MetricDataQuery {
		return cwtypes.MetricDataQuery{Id: aws.String(id), MetricStat: &cwtypes.MetricStat{Metric: metric, Period: aws.Int32(60), Stat: aws.String(stat)}}
	}
	out, err := c.GetMetricData(cwCtx(t), &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(t0.Add(-time.Minute)), EndTime: aws.Time(clock.Now()),
		ScanBy:            cwtypes.ScanByTimestampAscending,
		MetricDataQueries: []cwtypes.MetricDataQuery{query("sum", "Sum"), query("avg", "Average"), query("max", "Maximum"), query("n", "SampleCount"), query("p50", "p50")},
	})
	if err != nil {
		t.Fatalf("GetMetricData: %v", err)
	}
	want := map[string][]float64{
		"sum": {400, 50, 40},
		"avg": {200, 12.5, 10},
		"max": {300, 20, 15},
		"n":   {2, 4, 4},
		"p50": {100, 10}, // percentiles are not known for statistic sets
	}
	if len(out.MetricDataResults) != len(want) {
		t.Fatalf("want %d results, got %d", len(want), len(out.MetricDataResults))
	}
	minute := t0.Truncate(time.Minute)
	for _, r := range out.MetricDataResults {
		id := aws.ToString(r.Id)
		if fmt.Sprint(r.Values) != fmt.Sprint(want[id]) {
			t.Errorf("%s: values %v, want %v", id, r.Values, want[id])
		}
		if r.StatusCode != cwtypes.StatusCodeComplete || aws.ToString(r.Label) != "RotationDuration" {
			t.Errorf("%s: status %s label %q", id, r.StatusCode, aws.ToString(r.Label))
		}
		for i, ts := range r.Timestamps {
			if wantTS := minute.Add(time.Duration(i) * time.Minute); !ts.Equal(wantTS) {
				t.Errorf("%s: timestamp %d is %v, want %v", id, i, ts, wantTS)
			}
		}
	}

	// Descending is the default order; MaxDatapoints pages with NextToken.
	page, err := c.GetMetricData(cwCtx(t), &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(t0.Add(-time.Minute)), EndTime: aws.Time(clock.Now()), MaxDatapoints: aws.Int32(2),
		MetricDataQueries: []cwtypes.MetricDataQuery{query("sum", "Sum")},
	})
	if err != nil {
		t.Fatalf("GetMetricData page 1: %v", err)
	}
	if got := page.MetricDataResults[0]; fmt.Sprint(got.Values) != "[40 50]" || got.StatusCode != cwtypes.StatusCodePartialData || page.NextToken == nil {
		t.Fatalf("page 1: values %v status %s token %v", got.Values, got.StatusCode, page.NextToken)
	}
	page, err = c.GetMetricData(cwCtx(t), &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(t0.Add(-time.Minute)), EndTime: aws.Time(clock.Now()), MaxDatapoints: aws.Int32(2), NextToken: page.NextToken,
		MetricDataQueries: []cwtypes.MetricDataQuery{query("sum", "Sum")},
	})
	if err != nil {
		t.Fatalf("GetMetricData page 2: %v", err)
	}
	if got := page.MetricDataResults[0]; fmt.Sprint(got.Values) != "[400]" || got.StatusCode != cwtypes.StatusCodeComplete || page.NextToken != nil {
		t.Fatalf("page 2: values %v status %s token %v", got.Values, got.StatusCode, page.NextToken)
	}
}

func TestCWGetMetricDataRejectsExpressionsAndBadQueries(t *testing.T) {
	_, c := startCWServer(t, Options{})
	now := time.Now()
	metric := &cwtypes.Metric{Namespace: aws.String("Credstage"), MetricName: aws.String("RotationFailed")}
	cases := []struct {
		name  string
		query cwtypes.MetricDataQuery
		code  string
		msg   string
	}{
		{"expression", cwtypes.MetricDataQuery{Id: aws.String("e1"), Expression: aws.String("SUM(METRICS())")}, "InvalidParameterValue", "metric math"},
		{"bad id", cwtypes.MetricDataQuery{Id: aws.String("Bad-Id"), MetricStat: &cwtypes.MetricStat{Metric: metric, Period: aws.Int32(60), Stat: aws.String("Sum")}}, "InvalidParameterValue", "Id"},
		{"bad stat", cwtypes.MetricDataQuery{Id: aws.String("q"), MetricStat: &cwtypes.MetricStat{Metric: metric, Period: aws.Int32(60), Stat: aws.String("Median")}}, "InvalidParameterValue", "Median"},
		{"bad period", cwtypes.MetricDataQuery{Id: aws.String("q"), MetricStat: &cwtypes.MetricStat{Metric: metric, Period: aws.Int32(45), Stat: aws.String("Sum")}}, "InvalidParameterValue", "Period"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.GetMetricData(cwCtx(t), &cloudwatch.GetMetricDataInput{
				StartTime: aws.Time(now.Add(-time.Hour)), EndTime: aws.Time(now), MetricDataQueries: []cwtypes.MetricDataQuery{tc.query}})
			requireCWError(t, err, tc.code, tc.msg)
		})
	}
	_, err := c.GetMetricData(cwCtx(t), &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(now), EndTime: aws.Time(now.Add(-time.Hour)),
		MetricDataQueries: []cwtypes.MetricDataQuery{{Id: aws.String("q"), MetricStat: &cwtypes.MetricStat{Metric: metric, Period: aws.Int32(60), Stat: aws.String("Sum")}}}})
	requireCWError(t, err, "ValidationError", "The parameter EndTime must be greater than StartTime.")
}

func TestCWGetMetricStatistics(t *testing.T) {
	srv, c := startCWServer(t, Options{})
	clock := useCWFakeClock(srv)
	t0 := clock.Now().Add(-5 * time.Minute)
	dims := []cwtypes.Dimension{cwDim("DBInstanceIdentifier", "db-1")}
	var datums []cwtypes.MetricDatum
	for i := 1; i <= 100; i++ {
		datums = append(datums, cwtypes.MetricDatum{MetricName: aws.String("ProvisionDuration"), Dimensions: dims,
			Timestamp: aws.Time(t0.Add(time.Duration(i%2) * time.Minute)), Value: aws.Float64(float64(i)), Unit: cwtypes.StandardUnitMilliseconds})
	}
	datums = append(datums, cwtypes.MetricDatum{MetricName: aws.String("ProvisionDuration"), Dimensions: dims,
		Timestamp: aws.Time(t0), Value: aws.Float64(7), Unit: cwtypes.StandardUnitSeconds})
	cwPut(t, c, "Credstage", datums...)

	out, err := c.GetMetricStatistics(cwCtx(t), &cloudwatch.GetMetricStatisticsInput{
		Namespace: aws.String("Credstage"), MetricName: aws.String("ProvisionDuration"), Dimensions: dims,
		StartTime: aws.Time(t0.Add(-time.Minute)), EndTime: aws.Time(clock.Now()), Period: aws.Int32(120),
		Statistics:         []cwtypes.Statistic{cwtypes.StatisticSampleCount, cwtypes.StatisticSum, cwtypes.StatisticMaximum},
		ExtendedStatistics: []string{"p90", "p99.5"}, Unit: cwtypes.StandardUnitMilliseconds,
	})
	if err != nil {
		t.Fatalf("GetMetricStatistics: %v", err)
	}
	if aws.ToString(out.Label) != "ProvisionDuration" {
		t.Errorf("label %q", aws.ToString(out.Label))
	}
	var count, sum float64
	for _, dp := range out.Datapoints {
		if dp.Unit != cwtypes.StandardUnitMilliseconds {
			t.Errorf("unit %s leaked through the Unit filter", dp.Unit)
		}
		count += aws.ToFloat64(dp.SampleCount)
		sum += aws.ToFloat64(dp.Sum)
		if _, ok := dp.ExtendedStatistics["p99.5"]; !ok {
			t.Errorf("datapoint %v lacks p99.5: %v", dp.Timestamp, dp.ExtendedStatistics)
		}
	}
	if count != 100 || sum != 5050 {
		t.Errorf("count %v sum %v, want 100 and 5050", count, sum)
	}

	_, err = c.GetMetricStatistics(cwCtx(t), &cloudwatch.GetMetricStatisticsInput{
		Namespace: aws.String("Credstage"), MetricName: aws.String("ProvisionDuration"),
		StartTime: aws.Time(clock.Now().Add(-48 * time.Hour)), EndTime: aws.Time(clock.Now()), Period: aws.Int32(60),
		Statistics: []cwtypes.Statistic{cwtypes.StatisticSum},
	})
	requireCWError(t, err, "InvalidParameterCombination", "1,440")
	_, err = c.GetMetricStatistics(cwCtx(t), &cloudwatch.GetMetricStatisticsInput{
		Namespace: aws.String("Credstage"), MetricName: aws.String("ProvisionDuration"),
		StartTime: aws.Time(clock.Now().Add(-time.Hour)), EndTime: aws.Time(clock.Now()), Period: aws.Int32(60),
	})
	requireCWError(t, err, "InvalidParameterCombination", "Statistics")
}

func TestCWListMetricsFiltersAndPages(t *testing.T) {
	_, c := startCWServer(t, Options{})
	var datums []cwtypes.MetricDatum
	for i := range 600 {
		datums = append(datums, cwtypes.MetricDatum{MetricName: aws.String("RotationSucceeded"), Value: aws.Float64(1),
			Dimensions: []cwtypes.Dimension{cwDim("Environment", "production"), cwDim("SecretName", fmt.Sprintf("s%03d", i))}})
	}
	datums = append(datums, cwtypes.MetricDatum{MetricName: aws.String("RotationFailed"), Value: aws.Float64(1),
		Dimensions: []cwtypes.Dimension{cwDim("Environment", "staging")}})
	cwPut(t, c, "Credstage", datums...)
	cwPut(t, c, "Other", cwtypes.MetricDatum{MetricName: aws.String("X"), Value: aws.Float64(1)})

	seen := map[string]bool{}
	var token *string
	pages := 0
	for {
		out, err := c.ListMetrics(cwCtx(t), &cloudwatch.ListMetricsInput{Namespace: aws.String("Credstage"),
			MetricName: aws.String("RotationSucceeded"), NextToken: token})
		if err != nil {
			t.Fatalf("ListMetrics: %v", err)
		}
		pages++
		for _, m := range out.Metrics {
			if len(m.Dimensions) != 2 {
				t.Fatalf("metric %v has %d dimensions", aws.ToString(m.MetricName), len(m.Dimensions))
			}
			seen[fmt.Sprint(aws.ToString(m.Dimensions[0].Value), aws.ToString(m.Dimensions[1].Value))] = true
		}
		if token = out.NextToken; token == nil {
			break
		}
	}
	if len(seen) != 600 || pages != 2 {
		t.Fatalf("saw %d metrics over %d pages, want 600 over 2", len(seen), pages)
	}

	out, err := c.ListMetrics(cwCtx(t), &cloudwatch.ListMetricsInput{
		Dimensions: []cwtypes.DimensionFilter{{Name: aws.String("Environment"), Value: aws.String("staging")}}})
	if err != nil || len(out.Metrics) != 1 || aws.ToString(out.Metrics[0].MetricName) != "RotationFailed" {
		t.Fatalf("dimension filter: %v %+v", err, out)
	}
	out, err = c.ListMetrics(cwCtx(t), &cloudwatch.ListMetricsInput{Namespace: aws.String("Other"), RecentlyActive: cwtypes.RecentlyActivePt3h})
	if err != nil || len(out.Metrics) != 1 {
		t.Fatalf("namespace filter: %v %+v", err, out)
	}
	_, err = c.ListMetrics(cwCtx(t), &cloudwatch.ListMetricsInput{NextToken: aws.String("not-a-token")})
	requireCWError(t, err, "InvalidParameterValue", "Request parameter NextToken is invalid")
}

func TestCWPutMetricDataLimits(t *testing.T) {
	srv, c := startCWServer(t, Options{})
	clock := useCWFakeClock(srv)
	one := func() cwtypes.MetricDatum {
		return cwtypes.MetricDatum{MetricName: aws.String("RotationSucceeded"), Value: aws.Float64(1)}
	}
	many := func(n int, f func(i int) cwtypes.MetricDatum) []cwtypes.MetricDatum {
		out := make([]cwtypes.MetricDatum, n)
		for i := range out {
			out[i] = f(i)
		}
		return out
	}
	withDims := one()
	for i := range 31 {
		withDims.Dimensions = append(withDims.Dimensions, cwDim(fmt.Sprintf("D%d", i), "v"))
	}
	dupDims := one()
	dupDims.Dimensions = []cwtypes.Dimension{cwDim("A", "1"), cwDim("A", "2")}
	manyValues := cwtypes.MetricDatum{MetricName: aws.String("M"), Values: make([]float64, 151)}
	mismatched := cwtypes.MetricDatum{MetricName: aws.String("M"), Values: []float64{1, 2}, Counts: []float64{1}}
	both := one()
	both.StatisticValues = &cwtypes.StatisticSet{SampleCount: aws.Float64(1), Sum: aws.Float64(1), Minimum: aws.Float64(1), Maximum: aws.Float64(1)}
	neither := cwtypes.MetricDatum{MetricName: aws.String("M")}
	badRes := one()
	badRes.StorageResolution = aws.Int32(5)
	old := one()
	old.Timestamp = aws.Time(clock.Now().Add(-15 * 24 * time.Hour))
	future := one()
	future.Timestamp = aws.Time(clock.Now().Add(3 * time.Hour))
	badUnit := one()
	badUnit.Unit = cwtypes.StandardUnit("Parsecs")
	huge := cwtypes.MetricDatum{MetricName: aws.String("M"), Value: aws.Float64(0x1p400)}
	badSet := cwtypes.MetricDatum{MetricName: aws.String("M"),
		StatisticValues: &cwtypes.StatisticSet{SampleCount: aws.Float64(2), Sum: aws.Float64(1), Minimum: aws.Float64(3), Maximum: aws.Float64(1)}}

	cases := []struct {
		name   string
		ns     string
		datums []cwtypes.MetricDatum
		code   string
		msg    string
	}{
		{"AWS namespace", "AWS/EC2", []cwtypes.MetricDatum{one()}, "InvalidParameterValue", "AWS/"},
		{"1001 datums", "Credstage", many(1001, func(int) cwtypes.MetricDatum { return one() }), "InvalidParameterValue", "1000"},
		{"31 dimensions", "Credstage", []cwtypes.MetricDatum{withDims}, "InvalidParameterValue", "30"},
		{"duplicate dimension", "Credstage", []cwtypes.MetricDatum{dupDims}, "InvalidParameterValue", "duplicate"},
		{"151 values", "Credstage", []cwtypes.MetricDatum{manyValues}, "InvalidParameterValue", "150"},
		{"values and counts differ", "Credstage", []cwtypes.MetricDatum{mismatched}, "InvalidParameterValue", "same size"},
		{"value and statistic values", "Credstage", []cwtypes.MetricDatum{both}, "InvalidParameterCombination", "mutually exclusive"},
		{"no value", "Credstage", []cwtypes.MetricDatum{neither}, "InvalidParameterCombination", "missing"},
		{"storage resolution", "Credstage", []cwtypes.MetricDatum{badRes}, "InvalidParameterValue", "StorageResolution"},
		{"too old", "Credstage", []cwtypes.MetricDatum{old}, "InvalidParameterValue", "two weeks"},
		{"too new", "Credstage", []cwtypes.MetricDatum{future}, "InvalidParameterValue", "two hours"},
		{"unit", "Credstage", []cwtypes.MetricDatum{badUnit}, "InvalidParameterValue", "Parsecs"},
		{"value too large", "Credstage", []cwtypes.MetricDatum{huge}, "InvalidParameterValue", "The value 2.5822498780869086E120 for parameter MetricData.member.1.Value is invalid."},
		{"minimum above maximum", "Credstage", []cwtypes.MetricDatum{badSet}, "InvalidParameterValue", "Minimum"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.PutMetricData(cwCtx(t), &cloudwatch.PutMetricDataInput{Namespace: aws.String(tc.ns), MetricData: tc.datums})
			requireCWError(t, err, tc.code, tc.msg)
		})
	}

	// The SDK returns CloudWatch's modelled error types, as against AWS.
	_, err := c.PutMetricData(cwCtx(t), &cloudwatch.PutMetricDataInput{Namespace: aws.String("AWS/X"), MetricData: []cwtypes.MetricDatum{one()}})
	var invalid *cwtypes.InvalidParameterValueException
	if !errors.As(err, &invalid) || invalid.ErrorCode() != "InvalidParameterValue" {
		t.Fatalf("want *types.InvalidParameterValueException with code InvalidParameterValue, got %T %v", err, err)
	}

	// A rejected request stores nothing, not even its valid datums.
	_, err = c.PutMetricData(cwCtx(t), &cloudwatch.PutMetricDataInput{Namespace: aws.String("Partial"), MetricData: []cwtypes.MetricDatum{one(), neither}})
	requireCWError(t, err, "InvalidParameterCombination", "MetricData.member.2")
	out, err := c.ListMetrics(cwCtx(t), &cloudwatch.ListMetricsInput{Namespace: aws.String("Partial")})
	if err != nil || len(out.Metrics) != 0 {
		t.Fatalf("a rejected PutMetricData stored %+v (%v)", out, err)
	}

	// Exactly at the limits is fine.
	full := one()
	for i := range 30 {
		full.Dimensions = append(full.Dimensions, cwDim(fmt.Sprintf("D%d", i), "v"))
	}
	cwPut(t, c, "Credstage", many(1000, func(i int) cwtypes.MetricDatum {
		if i == 0 {
			return full
		}
		return cwtypes.MetricDatum{MetricName: aws.String("M"), Values: make([]float64, 150), Counts: make([]float64, 150)}
	})...)
}
