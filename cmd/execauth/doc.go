// Command execauth makes keys and tokens, checks tokens, and runs the
// reference execution API and a demo of the whole token flow.
//
// # Example
//
//	execauth keygen -out signing.pem            # prints the kid
//	execauth jwks -key signing.pem -out jwks.json
//	execauth mint -key signing.pem -iss scheduler -aud execution-api \
//		-class workload -sub 0190a8f4-3c2e-7b5d-9e1f-2a3b4c5d6e7f -out workload.token
//	execauth verify -jwks jwks.json -iss scheduler -aud execution-api - < workload.token
//	execauth serve -key signing.pem -iss scheduler -aud execution-api
//	execauth demo
//
// For Apache Airflow: an HMAC secret file holding Airflow's [api_auth]
// jwt_secret text is read with -secret-text (-insecure-short-secret for the
// secret Airflow generates), -airflow-kid names an RSA key as Airflow does,
// and verify and serve take -accept-missing-scope and
// -insecure-accept-missing-iss for Airflow's tokens.
//
// Exit status: 0 on success, 1 on failure (a rejected token included), 2 for a
// bad command line.
package main
