package watch

import (
	"sort"
	"time"
)

// kind is what a dirty path is.
type kind uint8

const (
	kindCheckpoint kind = iota + 1 // a *.ckpt was created, written, renamed or removed
	kindSidecar                    // a sidecar was created, written, renamed or removed
	kindGone                       // a watched directory went away: forget what was under it
	kindAccess                     // a directory's permissions changed, or an unreadable path changed: read it again
)

// pending is one dirty path: what it is, when it was last seen to change, and when to look.
type pending struct {
	kind  kind
	seen  time.Time // the last event (or the scan) that named it: the file was complete then, or later
	due   time.Time // not before: the path has been quiet this long, or a retry's back-off
	tries int       // incomplete checkpoint read so far
	err   error     // kindAccess from a walk: what it met there
}

// queue is the set of dirty paths, not a list of events: a path written a thousand times is
// one entry, so memory grows with the files touched, never with the event rate, and is capped
// at max entries (beyond it, overflow is set and the caller rescans). It is not safe for
// concurrent use, and never reads the clock: every call is handed "now", so tests drive it
// with a fake one.
type queue struct {
	m        map[string]*pending
	max      int
	overflow bool // an entry was refused: the set is no longer a faithful account
}

func newQueue(max int) *queue { return &queue{m: map[string]*pending{}, max: max} }

// touch records an event on path at now: it is looked at once it has been quiet for quiet.
// A retry waiting on its back-off is brought forward to the same rule: the file changed.
func (q *queue) touch(path string, k kind, now time.Time, quiet time.Duration) {
	p := q.m[path]
	if p == nil {
		if len(q.m) >= q.max {
			q.overflow = true
			return
		}
		p = &pending{kind: k}
		q.m[path] = p
	}
	if k == kindGone || k == kindAccess && p.kind != kindGone {
		p.kind = k
	}
	p.seen, p.due, p.tries = now, now.Add(quiet), 0
}

// retry puts path back after an attempt found it incomplete: it is looked at again after
// a back-off that doubles with each try (quiet × 2^tries, at most maxDelay). A path touched
// since it was taken keeps its newer entry.
func (q *queue) retry(path string, p pending, now time.Time, quiet, maxDelay time.Duration) {
	if _, ok := q.m[path]; ok {
		return
	}
	if len(q.m) >= q.max {
		q.overflow = true
		return
	}
	p.tries++
	delay := quiet << min(p.tries, 16)
	if delay > maxDelay || delay <= 0 {
		delay = maxDelay
	}
	p.due = now.Add(delay)
	q.m[path] = &p
}

// take removes and returns the paths due at now, sorted.
func (q *queue) take(now time.Time) (paths []string, ps []pending) {
	for path, p := range q.m {
		if !p.due.After(now) {
			paths = append(paths, path)
		}
	}
	sort.Strings(paths)
	for _, path := range paths {
		ps = append(ps, *q.m[path])
		delete(q.m, path)
	}
	return paths, ps
}

// next is the earliest due time; ok is false when nothing is pending.
func (q *queue) next() (t time.Time, ok bool) {
	for _, p := range q.m {
		if !ok || p.due.Before(t) {
			t, ok = p.due, true
		}
	}
	return t, ok
}

// reset empties the set (a rescan is about to account for everything) and clears overflow.
func (q *queue) reset() {
	clear(q.m)
	q.overflow = false
}

func (q *queue) len() int { return len(q.m) }
