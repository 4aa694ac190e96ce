package cli

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/spf13/cobra"

	"github.com/credstage/credstage/engine"
	"github.com/credstage/credstage/internal/plan"
	"github.com/credstage/credstage/workflows"
)

// metricsReader is what `credstage metrics` needs of CloudWatch.
type metricsReader interface {
	ListMetrics(ctx context.Context, in *cloudwatch.ListMetricsInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.ListMetricsOutput, error)
	GetMetricData(ctx context.Context, in *cloudwatch.GetMetricDataInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error)
}

var _ metricsReader = (*cloudwatch.Client)(nil)

// metricRow is one metric series summed over the window.
type metricRow struct {
	Metric     string            `json:"metric"`
	Dimensions map[string]string `json:"dimensions"`
	Samples    float64           `json:"samples"`
	Sum        float64           `json:"sum"`
	Max        float64           `json:"max"`
	Unit       string            `json:"unit"`
}

func newMetricsCmd(a *app) *cobra.Command {
	var (
		namespace   string
		since       time.Duration
		environment string
		plotFile    string
	)
	cmd := &cobra.Command{
		Use:   "metrics",
		Short: "Show the CloudWatch metrics credstage published",
		Long: `Read back, through ListMetrics and GetMetricData, the metrics credstage
publishes (RotationSucceeded, RotationFailed, RotationRolledBack,
RotationDuration, ValidationFailed, StageDuration, ProvisionSucceeded,
ProvisionFailed, ProvisionDuration), summed per series over a window.
Counts show their sum; durations (ms) their number of samples, average and
maximum. --plot FILE also draws the Environment-only roll-ups over the
window as time series (.png or .svg), a panel per metric and a line per
environment: counts as the sum per period, durations as the average.`,
		Example: `  credstage metrics --since 24h
  credstage metrics --environment production -o json
  credstage metrics --since 6h --plot metrics.png`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if since <= 0 {
				return badInput("--since: want a positive duration, got %s", since)
			}
			if plotFile != "" {
				if _, err := plotFormat(plotFile); err != nil {
					return err
				}
			}
			ctx := cmd.Context()
			cw, err := a.cloudWatchClient(ctx)
			if err != nil {
				return err
			}
			rows, err := readMetrics(ctx, cw, namespace, environment, time.Now(), since)
			if err != nil {
				return err
			}
			if plotFile != "" {
				now := time.Now()
				series, err := readPlotSeries(ctx, cw, namespace, environment, now, since)
				if err != nil {
					return err
				}
				win := plotWindow{Start: now.Add(-since), End: now, Period: time.Duration(plotPeriod(since)) * time.Second}
				if err := writePlot(plotFile, series, namespace, win); err != nil {
					return err
				}
			}
			if a.jsonOutput() {
				out := map[string]any{"namespace": namespace, "since": since.String(), "metrics": rows}
				if plotFile != "" {
					out["plot"] = plotFile
				}
				return writeJSON(a.stdout, out)
			}
			if err := printMetrics(a, namespace, since, rows); err != nil {
				return err
			}
			if plotFile != "" {
				fmt.Fprintf(a.stdout, "plot written to %s\n", plotFile)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&namespace, "namespace", workflows.DefaultMetricsNamespace, "CloudWatch namespace")
	fl.DurationVar(&since, "since", time.Hour, "how far back to read")
	fl.StringVar(&environment, "environment", "", "only series of this Environment dimension")
	fl.StringVar(&plotFile, "plot", "", "also draw the roll-up series over the window into this .png or .svg file")
	return cmd
}

// readMetrics lists the namespace's series and reads each one's samples,
// sum and maximum over [now-since, now] in one GetMetricData call per 500
// queries (the API's limit).
func readMetrics(ctx context.Context, cw metricsReader, namespace, environment string, now time.Time, since time.Duration) ([]metricRow, error) {
	metrics, err := listMetrics(ctx, cw, namespace, func(m cwtypes.Metric) bool {
		return environment == "" || dimension(m.Dimensions, engine.DimEnvironment) == environment
	})
	if err != nil {
		return nil, err
	}
	period := int32(since.Round(time.Minute) / time.Second)
	if period < 60 {
		period = 60
	}
	const perCall = 500 / 3 // three stats per series
	var rows []metricRow
	for start := 0; start < len(metrics); start += perCall {
		batch := metrics[start:min(start+perCall, len(metrics))]
		var queries []cwtypes.MetricDataQuery
		for i, m := range batch {
			for _, stat := range []string{"SampleCount", "Sum", "Maximum"} {
				queries = append(queries, cwtypes.MetricDataQuery{
					Id:         aws.String(fmt.Sprintf("m%d_%s", i, strings.ToLower(stat))),
					MetricStat: &cwtypes.MetricStat{Metric: &batch[i], Period: aws.Int32(period), Stat: aws.String(stat)},
				})
			}
			rows = append(rows, metricRow{Metric: aws.ToString(m.MetricName), Dimensions: dimensionMap(m.Dimensions), Unit: unitOf(aws.ToString(m.MetricName))})
		}
		out, err := cw.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{
			StartTime: aws.Time(now.Add(-since)), EndTime: aws.Time(now.Add(time.Minute)), MetricDataQueries: queries})
		if err != nil {
			return nil, &plan.AWSError{Op: "GetMetricData " + namespace, Err: err}
		}
		for _, r := range out.MetricDataResults {
			var i int
			var stat string
			if _, err := fmt.Sscanf(strings.Replace(aws.ToString(r.Id), "_", " ", 1), "m%d %s", &i, &stat); err != nil || i >= len(batch) {
				continue
			}
			row := &rows[start+i]
			for _, v := range r.Values {
				switch stat {
				case "samplecount":
					row.Samples += v
				case "sum":
					row.Sum += v
				case "maximum":
					row.Max = max(row.Max, v)
				}
			}
		}
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Metric != rows[j].Metric {
			return rows[i].Metric < rows[j].Metric
		}
		return fmt.Sprint(rows[i].Dimensions) < fmt.Sprint(rows[j].Dimensions)
	})
	return rows, nil
}

// listMetrics pages through the namespace's series, keeping those keep
// accepts.
func listMetrics(ctx context.Context, cw metricsReader, namespace string, keep func(cwtypes.Metric) bool) ([]cwtypes.Metric, error) {
	var metrics []cwtypes.Metric
	p := cloudwatch.NewListMetricsPaginator(cw, &cloudwatch.ListMetricsInput{Namespace: aws.String(namespace)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, &plan.AWSError{Op: "ListMetrics " + namespace, Err: err}
		}
		for _, m := range page.Metrics {
			if keep(m) {
				metrics = append(metrics, m)
			}
		}
	}
	return metrics, nil
}

func printMetrics(a *app, namespace string, since time.Duration, rows []metricRow) error {
	if len(rows) == 0 {
		fmt.Fprintf(a.stdout, "no metrics in namespace %s in the last %s\n", namespace, since)
		return nil
	}
	fmt.Fprintf(a.stdout, "CloudWatch namespace %s, last %s:\n", namespace, since)
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "METRIC\tENVIRONMENT\tSUBJECT\tVALUE")
	for _, r := range rows {
		if r.Samples == 0 {
			continue
		}
		subject := firstNonEmpty(r.Dimensions[engine.DimSecretName], r.Dimensions[engine.DimDBInstanceID], "(environment)")
		value := fmt.Sprintf("%g", r.Sum)
		if r.Unit == "Milliseconds" {
			value = fmt.Sprintf("%d samples, avg %.0f ms, max %.0f ms", int(r.Samples), r.Sum/r.Samples, r.Max)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Metric, r.Dimensions[engine.DimEnvironment], subject, value)
	}
	return tw.Flush()
}

func unitOf(metric string) string {
	if strings.HasSuffix(metric, "Duration") {
		return "Milliseconds"
	}
	return "Count"
}

func dimension(dims []cwtypes.Dimension, name string) string {
	for _, d := range dims {
		if aws.ToString(d.Name) == name {
			return aws.ToString(d.Value)
		}
	}
	return ""
}

func dimensionMap(dims []cwtypes.Dimension) map[string]string {
	out := make(map[string]string, len(dims))
	for _, d := range dims {
		out[aws.ToString(d.Name)] = aws.ToString(d.Value)
	}
	return out
}
