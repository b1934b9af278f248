package workflow

import (
	"fmt"
	"sync"

	"github.com/gantryhq/gantry/plugins"
)

// Bounds of one operation attempt's log output (Config.MaxOutputLines and
// MaxOutputBytes). A chatty script cannot grow the store without bound:
// lines past either bound are dropped and counted, and one warning event
// says how many.
const (
	DefaultMaxOutputLines = 10_000
	DefaultMaxOutputBytes = 4 << 20
)

// outputCap counts an operation attempt's log lines against the bounds.
type outputCap struct {
	maxLines, maxBytes int // <= 0: unbounded

	mu                         sync.Mutex
	lines, bytes               int
	droppedLines, droppedBytes int
}

// admit reports whether msg may become an event, counting it either way.
func (c *outputCap) admit(msg string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.droppedLines > 0 ||
		(c.maxLines > 0 && c.lines >= c.maxLines) ||
		(c.maxBytes > 0 && c.bytes+len(msg) > c.maxBytes) {
		c.droppedLines++
		c.droppedBytes += len(msg)
		return false
	}
	c.lines++
	c.bytes += len(msg)
	return true
}

// truncated is the one event that tells what was dropped, if anything.
func (c *outputCap) truncated(base Event) (Event, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.droppedLines == 0 {
		return Event{}, false
	}
	base.Level = string(plugins.LevelWarn)
	base.Message = fmt.Sprintf("output truncated: %d more lines (%d bytes) dropped; an operation keeps at most %d lines or %d bytes of output",
		c.droppedLines, c.droppedBytes, c.maxLines, c.maxBytes)
	return base, true
}
