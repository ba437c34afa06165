module carecoord/services/gateway

go 1.26.0

require (
	github.com/coder/websocket v1.8.15
	github.com/google/uuid v1.6.0
	github.com/graphql-go/graphql v0.8.1
	go.uber.org/zap v1.28.0
)

require go.uber.org/multierr v1.10.0 // indirect
