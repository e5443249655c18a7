package jwks

// Digest exposes digest to the external tests.
var Digest = digest
