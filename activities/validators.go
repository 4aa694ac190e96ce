package activities

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// The consumer-side validators of the verify step other than SQL probes.
// Each returns a short detail for the CheckResult; a non-nil error means
// the check could not be evaluated for a reason a retry may fix.

const maxHealthBody = 1 << 20

// checkHTTP GETs the health URL and compares status and body.
func (a *Activities) checkHTTP(ctx context.Context, c HTTPCheck, timeout time.Duration) (detail string, passed bool) {
	if timeout <= 0 {
		timeout = defaultCheckTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return "invalid health URL (want http or https)", false
	}
	shown := u.Redacted()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.URL, nil)
	if err != nil {
		return "invalid health URL " + shown, false
	}
	resp, err := a.http.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // url.Error repeats the URL, userinfo and all
		}
		return fmt.Sprintf("GET %s failed: %v", shown, err), false
	}
	defer resp.Body.Close()
	want := c.ExpectStatus
	if want == 0 {
		want = http.StatusOK
	}
	if resp.StatusCode != want {
		return fmt.Sprintf("GET %s: status %d, want %d", shown, resp.StatusCode, want), false
	}
	if c.BodyContains != "" {
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxHealthBody))
		if err != nil {
			return fmt.Sprintf("GET %s: reading body: %v", shown, err), false
		}
		if !strings.Contains(string(body), c.BodyContains) {
			return fmt.Sprintf("GET %s: body lacks %q", shown, truncate(c.BodyContains, 64)), false
		}
	}
	return fmt.Sprintf("GET %s: status %d", shown, resp.StatusCode), true
}

// checkAlarm passes unless the alarm is in ALARM (INSUFFICIENT_DATA
// passes: a fresh alarm has no data yet). A missing alarm fails: a
// validator that names nothing protects nothing.
func (a *Activities) checkAlarm(ctx context.Context, subject string, c AlarmCheck, timeout time.Duration) (detail string, passed bool, err error) {
	if timeout <= 0 {
		timeout = defaultCheckTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	out, err := a.cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{
		AlarmNames: []string{c.AlarmName},
		AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm, cwtypes.AlarmTypeCompositeAlarm},
	})
	if err != nil {
		err = awsError(ctx, subject, "DescribeAlarms "+c.AlarmName, err)
		if isErrorType(err, ErrAWSRequestRefused) {
			return errMessage(err), false, nil
		}
		return "", false, err
	}
	for _, m := range out.MetricAlarms {
		if aws.ToString(m.AlarmName) == c.AlarmName {
			return alarmDetail(c.AlarmName, m.StateValue, aws.ToString(m.StateReason))
		}
	}
	for _, m := range out.CompositeAlarms {
		if aws.ToString(m.AlarmName) == c.AlarmName {
			return alarmDetail(c.AlarmName, m.StateValue, aws.ToString(m.StateReason))
		}
	}
	return fmt.Sprintf("alarm %s not found", c.AlarmName), false, nil
}

func alarmDetail(name string, state cwtypes.StateValue, reason string) (string, bool, error) {
	if state == cwtypes.StateValueAlarm {
		return fmt.Sprintf("alarm %s is in ALARM: %s", name, truncate(reason, 200)), false, nil
	}
	return fmt.Sprintf("alarm %s is %s", name, state), true, nil
}
