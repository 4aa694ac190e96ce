package localaws

import "strings"

// Wildcard matching as IAM does it: '*' matches any run of characters and
// '?' exactly one. Actions compare without regard to case; resources,
// ARNs and strings compare exactly.

// globMatch reports whether s matches pattern; fold ignores case.
func globMatch(pattern, s string, fold bool) bool {
	if fold {
		pattern, s = strings.ToLower(pattern), strings.ToLower(s)
	}
	return glob(pattern, s, false)
}

// arnMatch matches an ARN pattern (a Resource element, or the value of an
// Arn condition) against an ARN. IAM keeps wildcards inside one of the
// colon-separated segments, except that a '*' ending a segment may run
// past the colons: "arn:aws:secretsmanager:*:*:secret:*" matches every
// secret, while "arn:aws:rds:us-*-1:..." cannot swallow the account.
func arnMatch(pattern, arn string) bool {
	if pattern == "*" {
		return true
	}
	return glob(pattern, arn, true)
}

// glob matches by dynamic programming over pattern and string (both are
// short: ARNs, action names, tag values), which stays exact when a '*'
// that may not cross a colon follows one that may. With arnSegments, a
// '*' that is not the last character of its segment, and any '?', do not
// match ':'.
func glob(pattern, s string, arnSegments bool) bool {
	prev := make([]bool, len(s)+1)
	cur := make([]bool, len(s)+1)
	prev[0] = true
	for pi := 0; pi < len(pattern); pi++ {
		c := pattern[pi]
		spanColon := !arnSegments || (c == '*' && starEndsSegment(pattern, pi))
		cur[0] = c == '*' && prev[0]
		for j := 1; j <= len(s); j++ {
			switch c {
			case '*':
				cur[j] = prev[j] || (cur[j-1] && (spanColon || s[j-1] != ':'))
			case '?':
				cur[j] = prev[j-1] && (!arnSegments || s[j-1] != ':')
			default:
				cur[j] = prev[j-1] && s[j-1] == c
			}
		}
		prev, cur = cur, prev
	}
	return prev[len(s)]
}

// starEndsSegment reports whether the '*' at pattern[i] is the last
// character of its ARN segment.
func starEndsSegment(pattern string, i int) bool {
	return i == len(pattern)-1 || pattern[i+1] == ':'
}
