// Package execauth is the root of a library that gives execution APIs their
// auth: the APIs that queued jobs, running tasks and background processors
// call back into, with Apache Airflow's Execution API as the model.
//
// Three token classes, told apart by the scope claim:
//
//   - workload: long-lived, minted when a task is queued, accepted only by the
//     run endpoint, which exchanges it for an execution token;
//   - execution: short-lived, used for every other call, reissued near expiry
//     in the Refreshed-API-Token response header;
//   - processor: for a component that runs user code and so never holds a
//     signing key; its token is provisioned to a file it re-reads.
//
// The packages, from the inside out:
//
//   - scope: token classes and permission scopes;
//   - jwks: keys bound to one algorithm, the issuer's rotating Keyring and its
//     JWKS handler, and a remote JWKS Cache for verifiers;
//   - token: Claims, the Issuer that mints and the Verifier that checks;
//   - middleware: RFC 6750 bearer authentication and per-route requirements;
//   - refresh: reissue near expiry, the run exchange, a client Transport that
//     swaps tokens, and a FileSource for provisioned tokens;
//   - observe: the hooks every component reports its decisions to, for
//     metrics and traces (the otel module turns them into OpenTelemetry);
//   - authtest: a test kit for host servers.
//
// Logging follows one rule everywhere: a component's Logger field takes a
// *slog.Logger, and nil means slog.Default(). Pass
// slog.New(slog.DiscardHandler) to silence one. No record carries token
// content.
//
// The example below wires them into a server and a client and walks the flow.
package execauth
