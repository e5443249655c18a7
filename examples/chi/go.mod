module github.com/execauth/execauth/examples/chi

go 1.25.0

replace github.com/execauth/execauth => ../../

require (
	github.com/execauth/execauth v0.0.0
	github.com/go-chi/chi/v5 v5.5.0
	github.com/google/uuid v1.6.0
)

require (
	github.com/MicahParks/jwkset v0.11.4 // indirect
	github.com/golang-jwt/jwt/v5 v5.3.1 // indirect
	golang.org/x/time v0.15.0 // indirect
)
