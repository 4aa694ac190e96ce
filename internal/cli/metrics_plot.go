package cli

import (
	"context"
	"fmt"
	"image/color"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/credstage/credstage/engine"
	"github.com/credstage/credstage/internal/plan"
)

// `credstage metrics --plot` draws the Environment-only roll-ups as time
// series, a panel per metric and a line per environment: the picture of
// the local stack that CloudWatch's console would draw on AWS. It holds
// metric names, environment names and numbers, nothing else: no secret
// name, let alone a value, can reach it.

// plotMetric is one panel: which statistic to read per period and what
// the y axis counts.
type plotMetric struct {
	Name, Stat, Unit string
}

// plotMetrics are the panels, in the order they are drawn: counts as the
// Sum per period, durations as the Average, the inventory's gauges as the
// Maximum.
var plotMetrics = []plotMetric{
	{engine.MetricRotationSucceeded, "Sum", "count"},
	{engine.MetricRotationRolledBack, "Sum", "count"},
	{engine.MetricRotationFailed, "Sum", "count"},
	{engine.MetricRotationUnverified, "Sum", "count"},
	{engine.MetricValidationFailed, "Sum", "count"},
	{engine.MetricRotationDuration, "Average", "ms"},
	{engine.MetricStageDuration, "Average", "ms"},
	{engine.MetricProvisionSucceeded, "Sum", "count"},
	{engine.MetricProvisionFailed, "Sum", "count"},
	{engine.MetricProvisionDuration, "Average", "ms"},
	{engine.MetricOldestSecretAge, "Maximum", "seconds"},
	{engine.MetricOverdueSecrets, "Maximum", "count"},
	{engine.MetricManagedSecrets, "Maximum", "count"},
}

// plotSeries is one line: a metric of one environment over time.
type plotSeries struct {
	Metric      plotMetric
	Environment string
	Times       []time.Time
	Values      []float64
}

// plotWindow is the time the picture spans and its period: every panel
// shares it, so panels line up.
type plotWindow struct {
	Start, End time.Time
	Period     time.Duration
}

// plotFormat is the picture's format from the file's extension.
func plotFormat(path string) (string, error) {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".png", ".svg":
		return ext[1:], nil
	}
	return "", badInput("--plot %q: want a file ending in .png or .svg", path)
}

// plotPeriod gives about 24 points over the window, in whole minutes:
// enough to see a trend, few enough that a sum per period still counts
// several rotations rather than drawing each as a spike.
func plotPeriod(since time.Duration) int32 {
	p := int32((since / 24).Round(time.Minute) / time.Second)
	return max(p, 60)
}

// readPlotSeries finds the environments with an Environment-only series
// in the namespace and reads each panel's statistic for each one.
func readPlotSeries(ctx context.Context, cw metricsReader, namespace, environment string, now time.Time, since time.Duration) ([]plotSeries, error) {
	rollups, err := listMetrics(ctx, cw, namespace, func(m cwtypes.Metric) bool {
		return len(m.Dimensions) == 1 && aws.ToString(m.Dimensions[0].Name) == engine.DimEnvironment &&
			(environment == "" || aws.ToString(m.Dimensions[0].Value) == environment)
	})
	if err != nil {
		return nil, err
	}
	envs := map[string]bool{}
	for _, m := range rollups {
		envs[aws.ToString(m.Dimensions[0].Value)] = true
	}
	var series []plotSeries
	var queries []cwtypes.MetricDataQuery
	period := plotPeriod(since)
	for _, env := range sortedSet(envs) {
		for _, m := range plotMetrics {
			queries = append(queries, cwtypes.MetricDataQuery{
				Id: aws.String(fmt.Sprintf("q%d", len(queries))),
				MetricStat: &cwtypes.MetricStat{Period: aws.Int32(period), Stat: aws.String(m.Stat), Metric: &cwtypes.Metric{
					Namespace: aws.String(namespace), MetricName: aws.String(m.Name),
					Dimensions: []cwtypes.Dimension{{Name: aws.String(engine.DimEnvironment), Value: aws.String(env)}},
				}},
			})
			series = append(series, plotSeries{Metric: m, Environment: env})
		}
	}
	const perCall = 500 // GetMetricData's limit of queries
	for start := 0; start < len(queries); start += perCall {
		in := &cloudwatch.GetMetricDataInput{StartTime: aws.Time(now.Add(-since)), EndTime: aws.Time(now),
			ScanBy: cwtypes.ScanByTimestampAscending, MetricDataQueries: queries[start:min(start+perCall, len(queries))]}
		pg := cloudwatch.NewGetMetricDataPaginator(cw, in)
		for pg.HasMorePages() {
			out, err := pg.NextPage(ctx)
			if err != nil {
				return nil, &plan.AWSError{Op: "GetMetricData " + namespace, Err: err}
			}
			for _, r := range out.MetricDataResults {
				var i int
				if _, err := fmt.Sscanf(aws.ToString(r.Id), "q%d", &i); err != nil || i >= len(series) {
					continue
				}
				series[i].Times = append(series[i].Times, r.Timestamps...)
				series[i].Values = append(series[i].Values, r.Values...)
			}
		}
	}
	return series, nil
}

// writePlot draws the series into path, creating or replacing it.
func writePlot(path string, series []plotSeries, title string, win plotWindow) error {
	format, err := plotFormat(path)
	if err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("--plot: %w", err)
	}
	if err := renderPlot(f, format, series, title, win); err != nil {
		f.Close()
		return fmt.Errorf("--plot %s: %w", path, err)
	}
	return f.Close()
}

// renderPlot draws a grid of panels, two columns wide, one per metric that
// has data; with no data at all, one empty panel that says so.
func renderPlot(w io.Writer, format string, series []plotSeries, title string, win plotWindow) error {
	byMetric := map[string][]plotSeries{}
	for _, s := range series {
		if len(s.Values) > 0 {
			byMetric[s.Metric.Name] = append(byMetric[s.Metric.Name], s)
		}
	}
	var panels []*plot.Plot
	for _, m := range plotMetrics {
		lines := byMetric[m.Name]
		if len(lines) == 0 {
			continue
		}
		p, err := plotPanel(m, lines, win)
		if err != nil {
			return err
		}
		panels = append(panels, p)
	}
	if len(panels) == 0 {
		p := plot.New()
		p.Title.Text = title + ": no data in the window"
		panels = append(panels, p)
	}
	const cols = 2
	rows := (len(panels) + cols - 1) / cols
	width, height := 28*vg.Centimeter, vg.Length(rows)*7*vg.Centimeter+vg.Centimeter
	var c vg.CanvasWriterTo
	switch format {
	case "png":
		c = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(110))}
	case "svg":
		c = vgsvg.New(width, height)
	default:
		return fmt.Errorf("unknown format %q", format)
	}
	dc := draw.New(c)
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	grid := make([][]*plot.Plot, rows)
	for i := range grid {
		grid[i] = make([]*plot.Plot, cols)
	}
	for i, p := range panels {
		grid[i/cols][i%cols] = p
	}
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Centimeter, PadY: vg.Centimeter,
		PadTop: vg.Centimeter / 2, PadBottom: vg.Centimeter / 2, PadLeft: vg.Centimeter / 2, PadRight: vg.Centimeter / 2}
	canvases := plot.Align(grid, tiles, dc)
	for r := range grid {
		for col, p := range grid[r] {
			if p != nil {
				p.Draw(canvases[r][col])
			}
		}
	}
	_, err := c.WriteTo(w)
	return err
}

var plotColors = []color.Color{
	color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}, color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff},
	color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff}, color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff},
	color.RGBA{R: 0x94, G: 0x67, B: 0xbd, A: 0xff}, color.RGBA{R: 0x8c, G: 0x56, B: 0x4b, A: 0xff},
}

// plotPanel is one metric, a line with points per environment. A count
// that has no datum in a period counted nothing there, so sums are drawn
// with zeros in the periods without data; an average or a gauge without
// data is unknown and left out.
func plotPanel(m plotMetric, lines []plotSeries, win plotWindow) (*plot.Plot, error) {
	p := plot.New()
	if !win.Start.IsZero() {
		p.X.Min, p.X.Max = float64(win.Start.Unix()), float64(win.End.Unix())
	}
	p.Title.Text = m.Name + " (" + strings.ToLower(m.Stat) + " per period)"
	p.Y.Label.Text = m.Unit
	p.Y.Min = 0
	p.X.Tick.Marker = plot.TimeTicks{Format: "15:04", Time: plot.UTCUnixTime}
	p.X.Label.Text = "time (UTC)"
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	sort.Slice(lines, func(i, j int) bool { return lines[i].Environment < lines[j].Environment })
	top := 0.0
	for i, s := range lines {
		pts := plotPoints(s, m.Stat == "Sum", win)
		for _, pt := range pts {
			top = max(top, pt.Y)
		}
		line, points, err := plotter.NewLinePoints(pts)
		if err != nil {
			return nil, err
		}
		col := plotColors[i%len(plotColors)]
		line.Color, points.Color = col, col
		line.Width = vg.Points(1.5)
		p.Add(line, points)
		p.Legend.Add(s.Environment, line, points)
	}
	// Headroom above the highest point keeps the legend off the lines.
	p.Y.Max = max(top*1.35, 1)
	return p, nil
}

// plotPoints are a series' points in time order; with zeros, every period
// of the window on the series' own grid (its first timestamp plus whole
// periods) has a point.
func plotPoints(s plotSeries, zeros bool, win plotWindow) plotter.XYs {
	byTime := map[int64]float64{}
	for k, v := range s.Values {
		byTime[s.Times[k].Unix()] = v
	}
	if zeros && len(s.Times) > 0 && win.Period > 0 && !win.Start.IsZero() {
		step := int64(win.Period / time.Second)
		first := s.Times[0].Unix()
		for _, t := range s.Times {
			first = min(first, t.Unix())
		}
		for t := first - (first-win.Start.Unix())/step*step; t < win.End.Unix(); t += step {
			if _, ok := byTime[t]; !ok && t >= win.Start.Unix() {
				byTime[t] = 0
			}
		}
	}
	pts := make(plotter.XYs, 0, len(byTime))
	for t, v := range byTime {
		pts = append(pts, plotter.XY{X: float64(t), Y: v})
	}
	sort.Slice(pts, func(a, b int) bool { return pts[a].X < pts[b].X })
	return pts
}

func sortedSet(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
