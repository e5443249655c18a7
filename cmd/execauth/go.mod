module github.com/execauth/execauth/cmd/execauth

go 1.26.0

require (
	github.com/alicebob/miniredis/v2 v2.40.0
	github.com/execauth/execauth v0.0.0
	github.com/execauth/execauth/redisstore v0.0.0
	github.com/google/uuid v1.6.0
	github.com/redis/go-redis/v9 v9.23.0
	github.com/stretchr/testify v1.12.1
)

require (
	github.com/MicahParks/jwkset v0.11.4 // indirect
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/golang-jwt/jwt/v5 v5.3.1 // indirect
	github.com/yuin/gopher-lua v1.1.1 // indirect
	go.uber.org/atomic v1.12.0 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/sys v0.48.0 // indirect
	golang.org/x/time v0.15.0 // indirect
)

replace github.com/execauth/execauth => ../../

replace github.com/execauth/execauth/redisstore => ../../redisstore
