package localaws

import (
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Rotation in the emulator records configuration only. RotateSecret stores
// the Lambda ARN and rules, turns rotation on, computes NextRotationDate and
// returns the VersionId (ClientRequestToken or a new UUID) that the rotation
// function would have been given, but no function runs: the emulator has no
// Lambda, and it creates no AWSPENDING version itself. A rotation is carried
// out by the caller's own PutSecretValue / UpdateSecretVersionStage calls
// (which is what credstage does), and a new AWSCURRENT counts as a rotation
// for LastRotatedDate and the schedule, as AWS counts manual updates.

var (
	smRateExpr     = regexp.MustCompile(`^rate\((\d+) (day|days|hour|hours)\)$`)
	smCronExpr     = regexp.MustCompile(`^cron\(\S+( \S+){5}\)$`)
	smDurationExpr = regexp.MustCompile(`^(\d+)h$`)
)

func (sm *secretsManager) rotateSecret(c *Call) (any, error) {
	in, derr := smDecode[smRotateSecretInput](c)
	if derr != nil {
		return nil, derr
	}
	id, verr := smRequireSecretID(in.SecretId)
	if verr != nil {
		return nil, verr
	}
	if err := smFirstErr(smValidateRotationToken(in.ClientRequestToken), smValidateRotationRules(in.RotationRules)); err != nil {
		return nil, err
	}
	if in.RotationLambdaARN != nil && len(*in.RotationLambdaARN) > smMaxLambdaARNLen {
		return nil, smInvalidParameter("RotationLambdaARN must be at most %d characters long.", smMaxLambdaARNLen)
	}
	versionID := smNewVersionID(in.ClientRequestToken)
	return sm.run(func(now time.Time) (any, error) {
		s, err := sm.mutableLocked(id)
		if err != nil {
			return nil, err
		}
		lambda := ""
		if s.Rotation != nil {
			lambda = s.Rotation.LambdaARN
		}
		if in.RotationLambdaARN != nil && *in.RotationLambdaARN != "" {
			lambda = *in.RotationLambdaARN
		}
		if lambda == "" {
			return nil, smInvalidRequest("No Lambda rotation function ARN is associated with this secret.")
		}
		if pending := s.versionWithStage(smStagePending); pending != nil && !pending.hasStage(smStageCurrent) {
			return nil, smInvalidRequest("A previous rotation isn't complete. That rotation will be reattempted.")
		}
		r := s.Rotation
		if r == nil {
			r = &smRotation{}
			s.Rotation = r
		}
		r.Enabled, r.LambdaARN = true, lambda
		if rules := in.RotationRules; rules != nil {
			r.AutomaticallyAfterDays = rules.AutomaticallyAfterDays
			r.ScheduleExpression = smCloneString(rules.ScheduleExpression)
			r.Duration = smCloneString(rules.Duration)
		}
		base := now
		if r.LastRotated != nil {
			base = *r.LastRotated
		}
		r.NextRotation = smNextRotation(r, base)
		s.LastChanged = now
		sm.changed(s)
		return smVersionOutput{ARN: s.ARN, Name: s.Name, VersionId: versionID}, nil
	})
}

// cancelRotateSecret turns automatic rotation off; the rules stay recorded
// for a later RotateSecret. The answer names the version of an unfinished
// rotation (AWSPENDING off AWSCURRENT), which the caller may need to clean.
func (sm *secretsManager) cancelRotateSecret(c *Call) (any, error) {
	id, aerr := smSecretIDOf(c)
	if aerr != nil {
		return nil, aerr
	}
	return sm.run(func(now time.Time) (any, error) {
		s, err := sm.mutableLocked(id)
		if err != nil {
			return nil, err
		}
		if s.Rotation != nil && s.Rotation.Enabled {
			s.Rotation.Enabled = false
			s.Rotation.NextRotation = nil
			s.LastChanged = now
			sm.changed(s)
		}
		out := smVersionOutput{ARN: s.ARN, Name: s.Name}
		if pending := s.versionWithStage(smStagePending); pending != nil && !pending.hasStage(smStageCurrent) {
			out.VersionId = pending.ID
		}
		return out, nil
	})
}

// smValidateRotationToken is RotateSecret's token check. Unlike the other
// writes, whose token lengths AWS's front end refuses (ValidationException),
// RotateSecret's parameters are checked by the service itself, which answers
// InvalidParameterException.
func smValidateRotationToken(token *string) *APIError {
	if token == nil {
		return nil
	}
	if n := utf8.RuneCountInString(*token); n < smMinTokenLen || n > smMaxTokenLen {
		return smInvalidParameter("ClientRequestToken must be %d-%d characters long.", smMinTokenLen, smMaxTokenLen)
	}
	return nil
}

// smValidateRotationRules checks RotationRules as the service does
// (InvalidParameterException, never ValidationException).
func smValidateRotationRules(r *smRotationRules) *APIError {
	if r == nil {
		return nil
	}
	if r.AutomaticallyAfterDays != nil && r.ScheduleExpression != nil {
		return smInvalidParameter("You can't specify both AutomaticallyAfterDays and ScheduleExpression in RotationRules.")
	}
	if d := r.AutomaticallyAfterDays; d != nil && (*d < 1 || *d > 1000) {
		return smInvalidParameter("RotationRules.AutomaticallyAfterDays must be within 1-1000.")
	}
	if e := r.ScheduleExpression; e != nil {
		if m := smRateExpr.FindStringSubmatch(*e); m != nil {
			n, _ := strconv.Atoi(m[1])
			if strings.HasPrefix(m[2], "hour") && (n < 4 || n > 23) || strings.HasPrefix(m[2], "day") && (n < 1 || n > 1000) {
				return smInvalidParameter("The rotation schedule %s is out of range: rate() allows 4 to 23 hours or 1 to 1000 days.", *e)
			}
		} else if !smCronExpr.MatchString(*e) {
			return smInvalidParameter("Invalid ScheduleExpression %q: use rate(N hours), rate(N days) or a cron() expression with six fields.", *e)
		}
	}
	if d := r.Duration; d != nil {
		m := smDurationExpr.FindStringSubmatch(*d)
		if m == nil {
			return smInvalidParameter("Invalid Duration %q: use a number of hours such as 3h.", *d)
		}
		if n, _ := strconv.Atoi(m[1]); n < 1 || n > 24 {
			return smInvalidParameter("The rotation window Duration %s must be between 1h and 24h.", *d)
		}
	}
	return nil
}

// smNextRotation is when the schedule calls for the next rotation after base;
// nil for cron schedules, which the emulator does not evaluate.
func smNextRotation(r *smRotation, base time.Time) *time.Time {
	var every time.Duration
	switch {
	case r.AutomaticallyAfterDays != nil:
		every = time.Duration(*r.AutomaticallyAfterDays) * 24 * time.Hour
	case r.ScheduleExpression != nil:
		m := smRateExpr.FindStringSubmatch(*r.ScheduleExpression)
		if m == nil {
			return nil
		}
		n, _ := strconv.Atoi(m[1])
		unit := 24 * time.Hour
		if strings.HasPrefix(m[2], "hour") {
			unit = time.Hour
		}
		every = time.Duration(n) * unit
	default:
		return nil
	}
	t := base.Add(every)
	return &t
}
