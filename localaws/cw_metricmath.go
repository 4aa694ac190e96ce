package localaws

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Metric math, the arithmetic part of it: GetMetricData's Expression may
// combine the other queries' series and numbers with + - * / and
// parentheses ("f / (f + s)", "100 * errors / requests"). As on AWS, an
// operation on two series keeps the timestamps both have, a number
// applies to every point, and a point whose result is not a number
// (division by zero) is left out. Functions (SUM, METRICS(), FILL, ...)
// and SEARCH are refused with a message that says so.

// cwExpr is a parsed expression.
type cwExpr interface {
	eval(series map[string]cwPoints) (cwPoints, bool)
	refs(into []string) []string
}

// cwPoints is a series as timestamp -> value; a scalar has scalar set.
type cwPoints struct {
	values map[int64]float64
	scalar *float64
}

type cwNumber float64
type cwRef string
type cwBinary struct {
	op   byte
	l, r cwExpr
}
type cwNegate struct{ e cwExpr }

func (n cwNumber) eval(map[string]cwPoints) (cwPoints, bool) {
	v := float64(n)
	return cwPoints{scalar: &v}, true
}
func (n cwNumber) refs(into []string) []string { return into }

func (r cwRef) eval(series map[string]cwPoints) (cwPoints, bool) {
	p, ok := series[string(r)]
	return p, ok
}
func (r cwRef) refs(into []string) []string { return append(into, string(r)) }

func (b cwBinary) refs(into []string) []string { return b.r.refs(b.l.refs(into)) }
func (b cwBinary) eval(series map[string]cwPoints) (cwPoints, bool) {
	l, ok := b.l.eval(series)
	if !ok {
		return cwPoints{}, false
	}
	r, ok := b.r.eval(series)
	if !ok {
		return cwPoints{}, false
	}
	return combine(l, r, b.apply), true
}

func (b cwBinary) apply(x, y float64) float64 {
	switch b.op {
	case '+':
		return x + y
	case '-':
		return x - y
	case '*':
		return x * y
	}
	return x / y
}

func (n cwNegate) refs(into []string) []string { return n.e.refs(into) }
func (n cwNegate) eval(series map[string]cwPoints) (cwPoints, bool) {
	p, ok := n.e.eval(series)
	if !ok {
		return cwPoints{}, false
	}
	return combine(p, cwPoints{scalar: new(float64)}, func(x, _ float64) float64 { return -x }), true
}

// combine applies f point by point: scalars to every point, two series
// on the timestamps both have; results that are not finite are dropped.
func combine(l, r cwPoints, f func(x, y float64) float64) cwPoints {
	if l.scalar != nil && r.scalar != nil {
		v := f(*l.scalar, *r.scalar)
		return cwPoints{scalar: &v}
	}
	out := cwPoints{values: map[int64]float64{}}
	keep := func(t int64, v float64) {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			out.values[t] = v
		}
	}
	switch {
	case l.scalar != nil:
		for t, y := range r.values {
			keep(t, f(*l.scalar, y))
		}
	case r.scalar != nil:
		for t, x := range l.values {
			keep(t, f(x, *r.scalar))
		}
	default:
		for t, x := range l.values {
			if y, ok := r.values[t]; ok {
				keep(t, f(x, y))
			}
		}
	}
	return out
}

// cwParseExpr parses an expression; param names the query in errors.
func cwParseExpr(param, src string) (cwExpr, *APIError) {
	p := &cwExprParser{src: src}
	e, err := p.sum()
	if err == nil && p.skipSpace() < len(p.src) {
		err = fmt.Errorf("unexpected %q", p.src[p.pos:])
	}
	if err != nil {
		return nil, cwInvalidValue("The value %s for parameter %s.Expression is invalid: %v (localaws evaluates the arithmetic of metric math, + - * / over query ids and numbers; functions and SEARCH are not supported).", src, param, err)
	}
	return e, nil
}

type cwExprParser struct {
	src string
	pos int
}

func (p *cwExprParser) skipSpace() int {
	for p.pos < len(p.src) && p.src[p.pos] == ' ' {
		p.pos++
	}
	return p.pos
}

func (p *cwExprParser) sum() (cwExpr, error) {
	return p.binary("+-", p.product)
}

func (p *cwExprParser) product() (cwExpr, error) {
	return p.binary("*/", p.unary)
}

func (p *cwExprParser) binary(ops string, next func() (cwExpr, error)) (cwExpr, error) {
	l, err := next()
	if err != nil {
		return nil, err
	}
	for p.skipSpace() < len(p.src) && strings.IndexByte(ops, p.src[p.pos]) >= 0 {
		op := p.src[p.pos]
		p.pos++
		r, err := next()
		if err != nil {
			return nil, err
		}
		l = cwBinary{op: op, l: l, r: r}
	}
	return l, nil
}

func (p *cwExprParser) unary() (cwExpr, error) {
	if p.skipSpace() < len(p.src) && p.src[p.pos] == '-' {
		p.pos++
		e, err := p.unary()
		return cwNegate{e}, err
	}
	return p.operand()
}

func (p *cwExprParser) operand() (cwExpr, error) {
	if p.skipSpace() == len(p.src) {
		return nil, fmt.Errorf("it ends too early")
	}
	c := p.src[p.pos]
	switch {
	case c == '(':
		p.pos++
		e, err := p.sum()
		if err != nil {
			return nil, err
		}
		if p.skipSpace() == len(p.src) || p.src[p.pos] != ')' {
			return nil, fmt.Errorf("a parenthesis is not closed")
		}
		p.pos++
		return e, nil
	case c >= '0' && c <= '9' || c == '.':
		start := p.pos
		for p.pos < len(p.src) && (p.src[p.pos] >= '0' && p.src[p.pos] <= '9' || p.src[p.pos] == '.') {
			p.pos++
		}
		v, err := strconv.ParseFloat(p.src[start:p.pos], 64)
		if err != nil {
			return nil, fmt.Errorf("bad number %q", p.src[start:p.pos])
		}
		return cwNumber(v), nil
	case c >= 'a' && c <= 'z':
		start := p.pos
		for p.pos < len(p.src) && cwIDChar(p.src[p.pos]) {
			p.pos++
		}
		if p.pos < len(p.src) && p.src[p.pos] == '(' {
			return nil, fmt.Errorf("function %s is not supported", p.src[start:p.pos])
		}
		return cwRef(p.src[start:p.pos]), nil
	case c >= 'A' && c <= 'Z':
		start := p.pos
		for p.pos < len(p.src) && cwIDChar(p.src[p.pos]) {
			p.pos++
		}
		return nil, fmt.Errorf("function %s is not supported", p.src[start:p.pos])
	}
	return nil, fmt.Errorf("unexpected %q", p.src[p.pos:])
}

func cwIDChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// cwEvalExpressions computes the expressions' series in an order in which
// every id an expression names is known first; an unknown id or a cycle
// is refused, naming the query.
func cwEvalExpressions(queries []*cwStatQuery, series map[string]cwPoints) *APIError {
	pending := slices.Clone(queries)
	for len(pending) > 0 {
		progressed := false
		rest := pending[:0]
		for _, q := range pending {
			if q.expr == nil {
				continue
			}
			ready := true
			for _, id := range q.expr.refs(nil) {
				if _, ok := series[id]; !ok {
					ready = false
				}
			}
			if !ready {
				rest = append(rest, q)
				continue
			}
			v, _ := q.expr.eval(series)
			if v.scalar != nil {
				v = cwPoints{values: map[int64]float64{}}
			}
			series[q.id] = v
			progressed = true
		}
		pending = rest
		if !progressed && len(pending) > 0 {
			q := pending[0]
			return cwInvalidValue("Error in expression %s: it names an id that is no query of this request, or expressions that name each other.", q.id)
		}
	}
	return nil
}
