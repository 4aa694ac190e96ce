package cli

import (
	"bytes"
	"context"
	"encoding/xml"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/credstage/credstage/engine"
	"github.com/credstage/credstage/tests/stack"
)

func fixedPlotSeries() []plotSeries {
	start := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
	var series []plotSeries
	for _, env := range []string{"production", "staging"} {
		for _, m := range plotMetrics[:7] {
			s := plotSeries{Metric: m, Environment: env}
			for i := range 12 {
				s.Times = append(s.Times, start.Add(time.Duration(i)*5*time.Minute))
				s.Values = append(s.Values, float64((i*7+len(env))%5))
			}
			series = append(series, s)
		}
	}
	return series
}

// TestPlotWritesPNGAndSVG draws fixed series (no AWS) into both formats
// and checks what the files hold: a PNG that decodes, and an SVG whose
// every text is a metric name, an environment, a unit or a number, so no
// secret name or value could be in the picture.
func TestPlotWritesPNGAndSVG(t *testing.T) {
	dir := t.TempDir()
	pngPath, svgPath := filepath.Join(dir, "m.png"), filepath.Join(dir, "m.SVG")
	for _, p := range []string{pngPath, svgPath} {
		if err := writePlot(p, fixedPlotSeries(), "Credstage", plotWindow{}); err != nil {
			t.Fatalf("writePlot %s: %v", p, err)
		}
	}
	f, err := os.Open(pngPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("the PNG does not decode: %v", err)
	}
	if b := img.Bounds(); b.Dx() < 800 || b.Dy() < 600 {
		t.Fatalf("PNG of %v: too small to read", b)
	}

	data, err := os.ReadFile(svgPath)
	if err != nil {
		t.Fatal(err)
	}
	texts := svgTexts(t, data)
	allowed := map[string]bool{"production": true, "staging": true, "count": true, "ms": true, "time (UTC)": true}
	for _, m := range plotMetrics {
		allowed[m.Name+" ("+strings.ToLower(m.Stat)+" per period)"] = true
	}
	number := regexp.MustCompile(`^-?[0-9.]+(e[+-]?[0-9]+)?$|^[0-9]{2}:[0-9]{2}$`)
	seen := map[string]bool{}
	for _, s := range texts {
		if !allowed[s] && !number.MatchString(s) {
			t.Errorf("unexpected text in the SVG: %q", s)
		}
		seen[s] = true
		if regexp.MustCompile(`^03:[0-5][0-9]$`).MatchString(s) {
			seen["a time tick"] = true
		}
	}
	if !seen["a time tick"] {
		t.Errorf("no time tick in the window's hour (texts: %q)", texts)
	}
	for _, want := range []string{"production", "staging", engine.MetricRotationSucceeded + " (sum per period)", engine.MetricRotationDuration + " (average per period)", "time (UTC)"} {
		if !seen[want] {
			t.Errorf("the SVG lacks %q (texts: %q)", want, texts)
		}
	}
}

// svgTexts parses the SVG as XML and returns the content of every <text>.
func svgTexts(t *testing.T, data []byte) []string {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(data))
	var texts []string
	sawSVG := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the SVG is not XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			switch se.Name.Local {
			case "svg":
				sawSVG = true
			case "text":
				var s string
				if err := dec.DecodeElement(&s, &se); err != nil {
					t.Fatal(err)
				}
				texts = append(texts, strings.TrimSpace(s))
			}
		}
	}
	if !sawSVG {
		t.Fatal("no <svg> element")
	}
	return texts
}

func TestPlotRefusesOtherExtensions(t *testing.T) {
	for _, p := range []string{"m.jpg", "m", "m.png.txt"} {
		if _, err := plotFormat(p); err == nil || !strings.Contains(err.Error(), "--plot") || exitCode(err) != ExitBadInput {
			t.Errorf("%s: %v", p, err)
		}
	}
	if r := run(t, map[string]string{}, "metrics", "--plot", "x.gif"); r.code != ExitBadInput || !strings.Contains(r.stderr, "--plot") {
		t.Errorf("metrics --plot x.gif: %s", r)
	}
}

func TestPlotWithNoData(t *testing.T) {
	var buf bytes.Buffer
	if err := renderPlot(&buf, "svg", nil, "Credstage", plotWindow{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "Credstage: no data in the window") {
		t.Fatalf("empty plot says nothing:\n%.400s", buf.String())
	}
}

// TestPlotFromLocalAWS publishes two hours of datums into localaws the
// way the worker does (a per-secret datum and its Environment-only
// roll-up), then draws them with `credstage metrics --plot`: the picture
// holds the roll-ups only, never a secret's name. With
// CREDSTAGE_PLOT_EXAMPLE=path it also writes the picture there (how
// docs/metrics-example.png was made).
func TestPlotFromLocalAWS(t *testing.T) {
	l := stack.StartLocalAWS(t)
	srv, cfg := l.Server, l.Config
	ctx := context.Background()
	cw := cloudwatch.NewFromConfig(cfg)
	now := time.Now().Truncate(time.Minute)
	var datums []cwtypes.MetricDatum
	add := func(metric, env, secret string, at time.Time, v float64, unit cwtypes.StandardUnit) {
		dims := []cwtypes.Dimension{{Name: aws.String(engine.DimEnvironment), Value: aws.String(env)}}
		datums = append(datums, cwtypes.MetricDatum{MetricName: aws.String(metric), Dimensions: dims, Timestamp: aws.Time(at), Value: aws.Float64(v), Unit: unit})
		if secret != "" {
			per := append([]cwtypes.Dimension{{Name: aws.String(engine.DimSecretName), Value: aws.String(secret)}}, dims...)
			datums = append(datums, cwtypes.MetricDatum{MetricName: aws.String(metric), Dimensions: per, Timestamp: aws.Time(at), Value: aws.Float64(v), Unit: unit})
		}
	}
	for i := range 24 { // every 5 minutes over two hours
		at := now.Add(-2*time.Hour + time.Duration(i)*5*time.Minute)
		for e, env := range []string{"staging", "production"} {
			secret := env + "/orders/app"
			n := 1 + (i*(3+e))%4
			add(engine.MetricRotationSucceeded, env, secret, at, float64(n), cwtypes.StandardUnitCount)
			if (i+e)%7 == 3 {
				add(engine.MetricRotationRolledBack, env, secret, at, 1, cwtypes.StandardUnitCount)
				add(engine.MetricValidationFailed, env, secret, at, 1, cwtypes.StandardUnitCount)
			}
			add(engine.MetricRotationDuration, env, secret, at, float64(1800+e*900+(i*137)%600), cwtypes.StandardUnitMilliseconds)
			add(engine.MetricStageDuration, env, "", at, float64(16000+e*4000+(i*911)%3000), cwtypes.StandardUnitMilliseconds)
			if i%12 == 0 {
				add(engine.MetricOldestSecretAge, env, "", at, float64((i/12+1)*3600*(2+e)), cwtypes.StandardUnitSeconds)
				add(engine.MetricManagedSecrets, env, "", at, float64(2+2*e), cwtypes.StandardUnitCount)
				add(engine.MetricOverdueSecrets, env, "", at, float64(e), cwtypes.StandardUnitCount)
			}
		}
	}
	for start := 0; start < len(datums); start += 1000 {
		if _, err := cw.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("Credstage"), MetricData: datums[start:min(start+1000, len(datums))]}); err != nil {
			t.Fatal(err)
		}
	}
	env := map[string]string{"AWS_ENDPOINT_URL": srv.URL(), "AWS_ACCESS_KEY_ID": stack.TestAccessKey, "AWS_SECRET_ACCESS_KEY": stack.TestSecretKey}
	dir := t.TempDir()
	svgPath := filepath.Join(dir, "m.svg")
	r := run(t, env, "metrics", "--since", "2h", "--plot", svgPath)
	if r.code != 0 || !strings.Contains(r.stdout, "plot written to "+svgPath) {
		t.Fatalf("metrics --plot: %s", r)
	}
	data, err := os.ReadFile(svgPath)
	if err != nil {
		t.Fatal(err)
	}
	texts := strings.Join(svgTexts(t, data), "\n")
	for _, want := range []string{"RotationSucceeded (sum per period)", "StageDuration (average per period)", "OldestSecretAge (maximum per period)", "staging", "production"} {
		if !strings.Contains(texts, want) {
			t.Errorf("the plot lacks %q:\n%s", want, texts)
		}
	}
	if strings.Contains(string(data), "orders/app") {
		t.Error("a secret's name reached the plot: it must draw the Environment roll-ups only")
	}
	if example := os.Getenv("CREDSTAGE_PLOT_EXAMPLE"); example != "" {
		if r := run(t, env, "metrics", "--since", "2h", "--plot", example); r.code != 0 {
			t.Fatalf("metrics --plot %s: %s", example, r)
		}
	}
}
