package events

import "testing"

func TestFanOutAndSlowSubscriber(t *testing.T) {
	b := New()
	fast, stopFast := b.Subscribe(10)
	slow, stopSlow := b.Subscribe(1)
	for i := range 5 {
		b.Publish(Event{Topic: OperationProgress, Data: i})
	}
	stopFast()
	n := 0
	for range fast {
		n++
	}
	if n != 5 {
		t.Errorf("fast subscriber got %d events, want 5", n)
	}
	if e := <-slow; e.Data != 0 {
		t.Errorf("slow subscriber's first event = %v, want 0", e.Data)
	}
	stopSlow()
	stopSlow()
	b.Publish(Event{Topic: CollectionChanged})
}
