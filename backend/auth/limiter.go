package auth

import (
	"sync"
	"time"
)

// Lockout slows password guessing: the first Free failures in a row are
// free; the next locks the key (an account, or a client address) for Base,
// and each further failure for twice as long, up to Max. A success clears
// the count. Counts live in memory: a restart forgives, which costs a
// guesser a restart of someone else's machine.
type Lockout struct {
	Free int
	Base time.Duration
	Max  time.Duration

	mu    sync.Mutex
	now   func() time.Time
	state map[string]*lockState
}

type lockState struct {
	failures int
	until    time.Time
	last     time.Time
}

// NewLockout returns the sign-in lockout: five free tries, then 2 s,
// 4 s, 8 s… up to 15 minutes.
func NewLockout() *Lockout {
	return &Lockout{Free: 5, Base: 2 * time.Second, Max: 15 * time.Minute, now: time.Now, state: map[string]*lockState{}}
}

// Wait says how long key is still locked (0 when it is not).
func (l *Lockout) Wait(key string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := l.state[key]
	if st == nil {
		return 0
	}
	if d := st.until.Sub(l.now()); d > 0 {
		return d
	}
	return 0
}

// Fail records a failure for key and returns the lock it now has (0 while
// failures are still free).
func (l *Lockout) Fail(key string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	st := l.state[key]
	if st == nil {
		st = &lockState{}
		l.state[key] = st
	}
	// A day without failures forgives the history.
	if now.Sub(st.last) > 24*time.Hour {
		st.failures = 0
	}
	st.failures++
	st.last = now
	if st.failures <= l.Free {
		return 0
	}
	d := l.Base << min(st.failures-l.Free-1, 30)
	if d > l.Max || d <= 0 {
		d = l.Max
	}
	st.until = now.Add(d)
	l.gc(now)
	return d
}

// Succeed clears key's failures.
func (l *Lockout) Succeed(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.state, key)
}

// gc drops long-quiet entries so guessing from many addresses cannot grow
// the map without bound.
func (l *Lockout) gc(now time.Time) {
	if len(l.state) < 10000 {
		return
	}
	for k, st := range l.state {
		if now.Sub(st.last) > time.Hour && now.After(st.until) {
			delete(l.state, k)
		}
	}
}

// Bucket is a per-key token-bucket rate limit.
type Bucket struct {
	Rate  float64 // tokens per second
	Burst float64

	mu  sync.Mutex
	now func() time.Time
	m   map[string]*bucketState
}

type bucketState struct {
	tokens float64
	at     time.Time
}

// NewBucket allows rate requests per second per key, with bursts of burst.
func NewBucket(rate, burst float64) *Bucket {
	return &Bucket{Rate: rate, Burst: burst, now: time.Now, m: map[string]*bucketState{}}
}

// Allow takes a token for key, or says how long until one is free.
func (b *Bucket) Allow(key string) (bool, time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	st := b.m[key]
	if st == nil {
		if len(b.m) > 10000 {
			b.m = map[string]*bucketState{}
		}
		st = &bucketState{tokens: b.Burst, at: now}
		b.m[key] = st
	}
	st.tokens = min(b.Burst, st.tokens+now.Sub(st.at).Seconds()*b.Rate)
	st.at = now
	if st.tokens >= 1 {
		st.tokens--
		return true, 0
	}
	return false, time.Duration((1 - st.tokens) / b.Rate * float64(time.Second))
}
