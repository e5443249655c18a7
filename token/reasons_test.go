package token

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// Reasons is the code of every row of the table, in its order.
func TestReasonsList(t *testing.T) {
	t.Parallel()
	got := Reasons()
	assert.Len(t, got, len(reasons))
	for i, s := range reasons {
		assert.Equal(t, Reason(s), got[i])
	}
	got[0] = "changed"
	assert.NotEqual(t, "changed", Reasons()[0], "a fresh slice each call")
}
