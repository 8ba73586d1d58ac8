// Package events is Quarry's in-process event bus. Services publish typed
// events; adapters (the desktop window, the HTTP stream) subscribe and
// forward them. Services never import an adapter.
package events

import "sync"

// Topics.
const (
	// OperationProgress carries an operation's Progress, several times a
	// second while it runs and once when it ends.
	OperationProgress = "operation:progress"
	// CollectionChanged says a collection's counts or status changed.
	CollectionChanged = "collection:changed"
	// ModelDownload carries a model download's progress.
	ModelDownload = "model:download"
)

// Event is one message on the bus.
type Event struct {
	Topic string `json:"topic"`
	Data  any    `json:"data"`
}

// Bus fans events out to subscribers. A slow subscriber loses events
// rather than slowing publishers down: progress is a stream of
// snapshots, and the last one always describes the present.
type Bus struct {
	mu   sync.Mutex
	next int
	subs map[int]chan Event
}

// New returns an empty bus.
func New() *Bus { return &Bus{subs: map[int]chan Event{}} }

// Publish sends e to every subscriber that has room for it.
func (b *Bus) Publish(e Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, ch := range b.subs {
		select {
		case ch <- e:
		default:
		}
	}
}

// Subscribe returns a channel of events and a function that ends the
// subscription and closes the channel.
func (b *Bus) Subscribe(buffer int) (<-chan Event, func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	id := b.next
	b.next++
	ch := make(chan Event, buffer)
	b.subs[id] = ch
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			b.mu.Lock()
			defer b.mu.Unlock()
			delete(b.subs, id)
			close(ch)
		})
	}
}
