package main

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/execauth/execauth/internal/testkit"
)

func TestDemo(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var stdout, stderr testkit.Buffer
	start := time.Now()
	err := run(ctx, []string{"demo"}, &stdout, &stderr)
	out := stdout.String()
	require.NoError(t, err, "stdout:\n%s\nstderr:\n%s", out, stderr.String())
	assert.Less(t, time.Since(start), 15*time.Second)

	for _, want := range []string{
		"1. The scheduler mints a workload token",
		"← 200 {\"id\":", // the run exchange
		"✓ Refreshed-API-Token carries an execution token for the task",
		"✓ the server received the execution token",               // the transport swapped it in
		"✓ 204 with a new execution token in Refreshed-API-Token", // reissue near expiry
		"✓ the server received the reissued token",
		"← 403 {\"detail\":\"Insufficient scope\"}", // workload token on heartbeat
		"✓ 401 invalid_token",                       // expired
		"✓ 200, the server received the rotated token",
		"✓ 403 insufficient_scope: a processor token does not heartbeat tasks",
		"✓ 401 invalid_token (reason revoked), and no new token", // after the task finished
		"✓ 401: the run exchange hands out nothing for a finished task",
		"9. The processor trades its token for a parse token",
		"✓ 200: a parse token for dags/etl.py in demo_bundle",
		"← 200 {\"access_token\":\"<token>\"", // the token itself is not printed
		"✓ 403: not another bundle's",
		"✓ 403 insufficient_scope: a parse token is never exchanged further",
		"✓ all 9 steps behaved as designed",
	} {
		assert.Contains(t, out, want)
	}
	assert.NotContains(t, out, "✗")
	assert.Len(t, regexp.MustCompile(`(?m)^\d\. `).FindAllString(out, -1), 9, "nine numbered steps")
	assert.NotRegexp(t, jwsPattern, out, "no token printed")
	assert.NotRegexp(t, jwsPattern, stderr.String())
}

// TestDemoReportsMisbehaviour: a failed check marks its step and fails the run.
func TestDemoReportsMisbehaviour(t *testing.T) {
	t.Parallel()
	var out testkit.Buffer
	d := &demoRun{out: &out}
	d.title("a step")
	assert.True(t, d.check(true, "fine"))
	d.title("another")
	assert.False(t, d.check(false, "broken"))
	assert.False(t, d.check(false, "broken again"))
	assert.Equal(t, []int{2}, d.failed)
	assert.Contains(t, out.String(), "   ✗ broken\n")
}
