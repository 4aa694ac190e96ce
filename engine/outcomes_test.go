package engine

import (
	"strings"
	"testing"
	"time"
)

func TestAppendOutcomeKeepsNewestFirstWithinATagValue(t *testing.T) {
	at := time.Date(2026, 12, 2, 16, 30, 0, 0, time.UTC)
	value := ""
	for i := range 25 {
		status := StatusSucceeded
		if i%3 == 0 {
			status = StatusRolledBack
		}
		// UUIDv7 run ids a minute apart: the same first characters.
		token := Token("01a237ba-4b06-7a56-99fc-9c7084cb1d9"+string(rune('a'+i%26)), "staging/app")
		var err error
		if value, err = AppendOutcome(value, NewOutcome(status, at.Add(time.Duration(i)*time.Hour), token)); err != nil {
			t.Fatal(err)
		}
	}
	if len(value) > maxTagValue {
		t.Fatalf("value is %d characters, over a tag's %d", len(value), maxTagValue)
	}
	got := ParseOutcomes(value)
	if len(got) != MaxOutcomes {
		t.Fatalf("kept %d outcomes, want %d: %q", len(got), MaxOutcomes, value)
	}
	newest := got[0]
	if newest.Status != StatusRolledBack || !newest.Time.Equal(at.Add(24*time.Hour)) || !newest.Matches(Token("01a237ba-4b06-7a56-99fc-9c7084cb1d9y", "staging/app")) || newest.Matches(Token("01a237ba-4b06-7a56-99fc-9c7084cb1d9x", "staging/app")) {
		t.Fatalf("newest = %+v", newest)
	}
	if got[1].Status != StatusSucceeded || !got[1].Time.Before(newest.Time) {
		t.Fatalf("second = %+v", got[1])
	}
}

func TestAppendOutcomeIsIdempotent(t *testing.T) {
	o := NewOutcome(StatusSucceeded, time.Unix(1796228400, 0), "01a237ba-4b06-7a56-99fc-9c701a2b3c4d.deadbeef")
	once, err := AppendOutcome("", o)
	if err != nil {
		t.Fatal(err)
	}
	twice, err := AppendOutcome(once, o)
	if err != nil || twice != once {
		t.Fatalf("second append = %q, %v; want %q", twice, err, once)
	}
	if once != "S:1796228400:1a2b3c4d" {
		t.Fatalf("entry = %q", once)
	}
}

func TestOutcomesRefuseWhatIsNotAnEnd(t *testing.T) {
	if _, err := AppendOutcome("", NewOutcome(StatusRunning, time.Now(), "x")); err == nil || !strings.Contains(err.Error(), "running") {
		t.Fatalf("err = %v", err)
	}
	if got := ParseOutcomes("S:12:abc junk Q:1:x S:notanumber:y R:5:def"); len(got) != 2 || got[1].Status != StatusRolledBack {
		t.Fatalf("parsed %+v", got)
	}
}

func TestAppendOutcomeKeepsOneEntryPerVersion(t *testing.T) {
	token := Token("01a237ba-4b06-7a56-99fc-9c701a2b3c4d", "staging/app")
	at := time.Unix(1796228400, 0)
	v, _ := AppendOutcome("", NewOutcome(StatusSucceeded, at, token))
	again, _ := AppendOutcome(v, NewOutcome(StatusSucceeded, at.Add(time.Minute), token))
	if again != v {
		t.Fatalf("the same outcome recorded later changed the value: %q -> %q", v, again)
	}
	undone, _ := AppendOutcome(v, NewOutcome(StatusRolledBack, at.Add(time.Minute), token))
	if got := ParseOutcomes(undone); len(got) != 1 || got[0].Status != StatusRolledBack {
		t.Fatalf("a rolled-back stage's outcome should replace the secret's succeeded one: %q", undone)
	}
}
