package token

// Reasons returns the stable code of every verification error, in the order
// the checks run: every value [Reason] returns for a verification error. A
// metrics exporter can create its series up front from it.
func Reasons() []string {
	out := make([]string, len(reasons))
	for i, s := range reasons {
		out[i] = s.code
	}
	return out
}
