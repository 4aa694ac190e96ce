package localaws

import (
	"fmt"
	"sort"
	"sync"
	"time"
)

// cwSaveDelay debounces persistence: PutMetricData can arrive hundreds of
// times a second, so changes are written at most once per delay (and on
// close). A crash loses at most that much; saveJSON never tears the file.
const cwSaveDelay = time.Second

// cwState is the content of cloudwatch.json.
type cwState struct {
	Version int         `json:"version"`
	Metrics []*cwSeries `json:"metrics"`
	Alarms  []*cwAlarm  `json:"alarms"`
	// Dashboards is absent from files written before localaws served them.
	Dashboards []*cwDashboard `json:"dashboards,omitempty"`
}

// cwSaver holds the debounce state. Its fields other than saveMu are guarded
// by cloudWatch.mu; saveMu keeps two writers from racing on the file.
type cwSaver struct {
	dirty, scheduled, closed bool
	timer                    *time.Timer
	saveMu                   sync.Mutex
}

func (cw *cloudWatch) load() error {
	var st cwState
	found, err := loadJSON(cw.path, &st)
	if err != nil {
		return fmt.Errorf("localaws: cloudwatch state: %w", err)
	}
	if !found {
		return nil
	}
	for _, s := range st.Metrics {
		if s != nil {
			cw.series[s.key()] = s
		}
	}
	for _, a := range st.Alarms {
		if a != nil && a.Name != "" {
			cw.alarms[a.Name] = a
		}
	}
	for _, d := range st.Dashboards {
		if d != nil && d.Name != "" {
			cw.dashboards[d.Name] = d
		}
	}
	cw.sweepSeries(cw.now())
	return nil
}

// markDirty schedules a save; callers hold mu.
func (cw *cloudWatch) markDirty() {
	cw.dirty = true
	if cw.scheduled || cw.closed {
		return
	}
	cw.scheduled = true
	cw.timer = time.AfterFunc(cwSaveDelay, func() {
		if err := cw.save(false); err != nil {
			cw.env.logger.Warn("localaws: save cloudwatch state", "err", err)
		}
	})
}

// save writes a snapshot taken under mu, outside mu, so a large store does
// not stall requests while it is encoded and synced.
func (cw *cloudWatch) save(final bool) error {
	cw.saveMu.Lock()
	defer cw.saveMu.Unlock()
	cw.mu.Lock()
	cw.scheduled = false
	if (cw.closed && !final) || !cw.dirty {
		cw.mu.Unlock()
		return nil
	}
	cw.sweepSeries(cw.now())
	st := cw.snapshot()
	cw.dirty = false
	cw.mu.Unlock()
	if err := saveJSON(cw.path, st); err != nil {
		cw.mu.Lock()
		cw.dirty = true
		cw.mu.Unlock()
		return err
	}
	return nil
}

// snapshot deep-copies the state; callers hold mu.
func (cw *cloudWatch) snapshot() *cwState {
	st := &cwState{Version: 1}
	// Sorted by the map's keys: rebuilding a series' key in the comparison
	// made the sort, under mu, cost more than the copy.
	keys := make([]string, 0, len(cw.series))
	for k := range cw.series {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	st.Metrics = make([]*cwSeries, 0, len(keys))
	for _, k := range keys {
		s := cw.series[k]
		c := *s
		c.Buckets = make([]cwBucket, len(s.Buckets))
		for i, b := range s.Buckets {
			b.Samples = append([]cwSample(nil), b.Samples...)
			c.Buckets[i] = b
		}
		st.Metrics = append(st.Metrics, &c)
	}
	for _, a := range cw.alarms {
		c := *a
		st.Alarms = append(st.Alarms, &c)
	}
	sort.Slice(st.Alarms, func(i, j int) bool { return st.Alarms[i].Name < st.Alarms[j].Name })
	for _, d := range cw.dashboards {
		c := *d
		st.Dashboards = append(st.Dashboards, &c)
	}
	sort.Slice(st.Dashboards, func(i, j int) bool { return st.Dashboards[i].Name < st.Dashboards[j].Name })
	return st
}

// closeSaver stops the debounce timer and writes what is pending.
func (cw *cloudWatch) closeSaver() error {
	cw.mu.Lock()
	cw.closed = true
	if cw.timer != nil {
		cw.timer.Stop()
	}
	cw.mu.Unlock()
	return cw.save(true)
}
