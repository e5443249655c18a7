// Package refresh keeps execution-API clients supplied with valid tokens:
// servers hand out new execution tokens, clients send and swap them.
//
// On the server, a [Reissuer] runs inside authentication. Its
// [Reissuer.Middleware] puts a new execution token in the
// "Refreshed-API-Token" response header when the request's token is near its
// end, and [Reissuer.Exchange] turns a workload token into the first
// execution token of a chain at the run endpoint. [Reissuer.Narrow] trades
// the request's token for a narrower one of another class that never
// outlives it (a processor's per-file parse token).
//
// On the client, a [Transport] sends the token of a [Source] to one origin
// (scheme, host and port) and swaps in the tokens the server hands back. A
// [FileSource] reads a token that a trusted component provisions with
// [WriteTokenFile] and rotates.
//
// # Example
//
//	re, err := refresh.NewReissuer(refresh.ReissuerConfig{Issuer: issuer})
//	mux.Handle("PUT /task-instances/{id}/heartbeat", authenticate(re.Middleware(heartbeat)))
//
//	// In the run handler, after the task moved to running:
//	if err := re.Exchange(w, r); err != nil { ... }
//
//	// A worker:
//	tr, err := refresh.NewTransport(refresh.TransportConfig{
//		Source:  refresh.StaticSource(workloadToken),
//		BaseURL: "https://api.example.com",
//	})
//	client := &http.Client{Transport: tr}
package refresh
