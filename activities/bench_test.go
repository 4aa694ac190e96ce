package activities

import (
	"context"
	"testing"
	"time"
)

// BenchmarkRotationSteps measures each step of a rotation against localaws,
// calling the inner step functions directly (no Temporal in the way).
func BenchmarkRotationSteps(b *testing.B) {
	for _, strategy := range []Strategy{StrategySingleUser, StrategyAlternatingUsers} {
		b.Run(string(strategy), func(b *testing.B) {
			st := localStack(b)
			secret := st.newUserTB(b, strategy)
			ctx := context.Background()
			a := st.acts
			var per [5]time.Duration
			b.ResetTimer()
			for b.Loop() {
				step := newStep(secret, strategy)
				t0 := time.Now()
				c, err := a.createPending(ctx, step)
				t1 := time.Now()
				if err == nil {
					_, err = a.setPending(ctx, step)
				}
				t2 := time.Now()
				if err == nil {
					_, err = a.testPending(ctx, step)
				}
				t3 := time.Now()
				if err == nil {
					_, err = a.promote(ctx, PromoteInput{Step: step, CurrentVersionID: c.CurrentVersionID})
				}
				t4 := time.Now()
				if err == nil {
					_, err = a.verify(ctx, VerifyInput{SecretID: secret})
				}
				t5 := time.Now()
				if err != nil {
					b.Fatal(err)
				}
				for i, d := range []time.Duration{t1.Sub(t0), t2.Sub(t1), t3.Sub(t2), t4.Sub(t3), t5.Sub(t4)} {
					per[i] += d
				}
			}
			n := float64(b.N)
			for i, name := range []string{"create", "set", "test", "promote", "verify"} {
				b.ReportMetric(float64(per[i].Microseconds())/1000/n, name+"-ms")
			}
		})
	}
}
