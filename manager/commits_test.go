package manager

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// A promise to follow counts until a follower comes (then the follower
// counts), the run ends, or followPromise passes.
func TestCommitsFollowPromise(t *testing.T) {
	for _, tc := range []struct {
		name string
		do   func(c *commits)
		want bool
	}{
		{"nothing", func(*commits) {}, false},
		{"promised", func(c *commits) { c.promise("x") }, true},
		{"promise kept and follower gone", func(c *commits) { c.promise("x"); c.follow("x")() }, false},
		{"promise kept, follower there", func(c *commits) { c.promise("x"); c.follow("x") }, true},
		{"run ended", func(c *commits) { c.promise("x"); c.ended("x") }, false},
		{"promise expired", func(c *commits) { c.promise("x"); c.promised["x"] = time.Now().Add(-time.Millisecond) }, false},
		{"another execution promised", func(c *commits) { c.promise("y") }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c commits
			tc.do(&c)
			assert.Equal(t, tc.want, c.followed("x"))
			if !tc.want {
				assert.NotContains(t, c.promised, "x", "nothing left behind")
			}
		})
	}
}
